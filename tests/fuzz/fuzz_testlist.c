/* fuzz_testlist.c - libFuzzer target: any bytes as `pytest --collect-only
 * -q` output end in a list or an error naming the input. A list holds
 * distinct, non-empty nodeids without a newline or a leading '#' (one
 * trailing '\r' a line is dropped; a second is kept, as documented). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hist_test_list *list = NULL;
	int error = hist_test_list_parse(&list, (const char *)data, size, "tests.txt");
	const char *msg = hist_test_list_errmsg(list);

	if (error == HIST_OK) {
		size_t n = hist_test_list_count(list);
		const char *const *ids = hist_test_list_ids(list);
		const char **sorted = malloc((n ? n : 1) * sizeof *sorted);

		if (!sorted)
			goto done;
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(ids[i]);

			if (!len || ids[i][0] == '#' || strchr(ids[i], '\n') || !memchr(data, ids[i][0], size))
				abort();
			sorted[i] = ids[i];
		}
		qsort(sorted, n, sizeof *sorted, cmp);
		for (size_t i = 1; i < n; i++)
			if (strcmp(sorted[i - 1], sorted[i]) == 0)
				abort();
		free(sorted);
	} else if (!msg || !msg[0] || (error != HIST_E_NOMEM && strncmp(msg, "tests.txt", 9) != 0)) {
		abort();
	}
done:
	hist_test_list_free(list);
	return 0;
}
