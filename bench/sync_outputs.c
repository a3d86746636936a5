/* sync_outputs.c - what making a plan's files durable costs, by method.
 * usage: sync_outputs DIR FILES BYTES METHOD; prints the wall seconds of
 * writing FILES new files of BYTES each in DIR, syncing and renaming them.
 *   each     fsync, close, rename one file after the other
 *   sfr      write all, sync_file_range(WRITE) on each, then fsync each
 *   threads  write all, fsync them from 16 threads at once (what io.c does)
 *   syncfs   write all, one syncfs for the whole file system
 *   none     write all, rename, no sync (the floor)
 * bench/sync_outputs.sh runs the methods in turn on a real disk. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 16

static int *fds;
static int nfiles;
static atomic_int next;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *sync_some(void *arg)
{
	int i;

	(void)arg;
	while ((i = atomic_fetch_add(&next, 1)) < nfiles)
		if (fsync(fds[i]) < 0)
			exit(1);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir, *method;
	char *buf, (*tmp)[4096], dst[4096];
	size_t each;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: sync_outputs DIR FILES BYTES each|sfr|threads|syncfs|none\n");
		return 2;
	}
	dir = argv[1];
	nfiles = atoi(argv[2]);
	each = strtoul(argv[3], NULL, 10);
	method = argv[4];
	buf = malloc(each);
	tmp = calloc((size_t)nfiles, sizeof *tmp);
	fds = calloc((size_t)nfiles, sizeof *fds);
	if (!buf || !tmp || !fds)
		return 1;
	memset(buf, 'x', each);
	for (size_t i = 0; i < each; i += 100)
		buf[i] = '\n';
	t0 = now();
	for (int i = 0; i < nfiles; i++) {
		snprintf(tmp[i], sizeof tmp[i], "%s/.shard-%d.txt.XXXXXX", dir, i + 1);
		if ((fds[i] = mkstemp(tmp[i])) < 0 || write(fds[i], buf, each) != (ssize_t)each)
			return 1;
		if (strcmp(method, "each") == 0 && fsync(fds[i]) < 0)
			return 1;
	}
	if (strcmp(method, "sfr") == 0)
		for (int i = 0; i < nfiles; i++)
			sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
	if (strcmp(method, "sfr") == 0)
		for (int i = 0; i < nfiles; i++)
			if (fsync(fds[i]) < 0)
				return 1;
	if (strcmp(method, "threads") == 0) {
		pthread_t t[THREADS - 1];

		for (int k = 0; k < THREADS - 1; k++)
			pthread_create(&t[k], NULL, sync_some, NULL);
		sync_some(NULL);
		for (int k = 0; k < THREADS - 1; k++)
			pthread_join(t[k], NULL);
	}
	if (strcmp(method, "syncfs") == 0 && syncfs(fds[0]) < 0)
		return 1;
	for (int i = 0; i < nfiles; i++) {
		snprintf(dst, sizeof dst, "%s/shard-%d.txt", dir, i + 1);
		if (close(fds[i]) < 0 || rename(tmp[i], dst) < 0)
			return 1;
	}
	printf("%.4f\n", now() - t0);
	return 0;
}
