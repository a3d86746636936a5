/* replay.c - feeds files to a fuzz target without libFuzzer, so `make
 * check-fuzz` runs every committed crash input and seed under ASan+UBSan.
 * Arguments are files or directories (walked); exits 0 when all ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int feed(const char *path, unsigned long *count)
{
	struct stat st;
	FILE *f;
	unsigned char *data;
	size_t n;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		int bad = 0;

		if (!d) {
			perror(path);
			return 1;
		}
		while ((e = readdir(d))) {
			char sub[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			bad |= feed(sub, count);
		}
		closedir(d);
		return bad;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if (!(f = fopen(path, "rb")) || !(data = malloc((size_t)st.st_size + 1))) {
		perror(path);
		if (f)
			fclose(f);
		return 1;
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= feed(argv[i], &count);
	fprintf(stderr, "%s: %lu inputs replayed\n", argv[0], count);
	return bad;
}
