/* nodeid.c - pytest nodeid rules.
 * Owns: splitting a nodeid into file, classes, name and parameters; the
 * junitxml key and the dotted module of a path; the xdist group suffix;
 * the stable shard hash.
 * Not here: reading nodeids from inputs (junit.c, jsonl.c). */
#include "nodeid.h"

#include <string.h>

/* Where the path ends: the first "::", or len for a nodeid that is a path. */
static size_t path_len(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	/* memchr skips the path's bytes many at a time: planning asks this
	 * of every test (1M nodeids of ~110 bytes). */
	while ((p = memchr(p, ':', (size_t)(end - p))) && p + 1 < end) {
		if (p[1] == ':')
			return (size_t)(p - s);
		p++;
	}
	return len;
}

/* Where the names end: the first '[' after the path. */
static size_t names_end(const char *s, size_t len, size_t from)
{
	const char *p = from < len ? memchr(s + from, '[', len - from) : NULL;

	return p ? (size_t)(p - s) : len;
}

size_t hist__nodeid_scope_len(const char *s, size_t len, hist_scope scope)
{
	size_t path;

	if (scope != HIST_SCOPE_MODULE && scope != HIST_SCOPE_CLASS)
		return len;
	path = path_len(s, len);
	return scope == HIST_SCOPE_MODULE ? path : hist__nodeid_class_len(s, len, path);
}

size_t hist__nodeid_class_len(const char *s, size_t len, size_t path)
{
	/* The class scope ends at the last "::" before the parameters: the
	 * path's own for a test outside a class. Walked back from the end:
	 * the last "::" is one test name away, where a walk from the path
	 * crossed every name of the nodeid. */
	for (size_t i = names_end(s, len, path); i > path + 1; i--)
		if (s[i - 1] == ':' && s[i - 2] == ':')
			return i - 2;
	return path;
}

size_t hist__nodeid_class_len_after(const char *s, size_t len, size_t known)
{
	/* Every "::" from known on before the first '[' (none comes before
	 * known + 2): the last one, known's own at least. memchr finds the
	 * colons many bytes at a time. */
	const char *p = s + known + 1, *stop = known + 2 < len ? memchr(s + known + 2, '[', len - known - 2) : NULL;
	size_t last = known;

	if (!stop)
		stop = s + len;
	while (stop - p > 1 && (p = memchr(p, ':', (size_t)(stop - p - 1)))) {
		if (p[1] == ':')
			last = (size_t)(p - s);
		p++;
	}
	return last;
}

size_t hist__nodeid_module_len(const char *path, size_t len)
{
	/* pytest replaces '/' first and drops ".py" after: "/py" ends in ".py" too. */
	if (len >= 3 && (path[len - 3] == '.' || path[len - 3] == '/') && path[len - 2] == 'p' && path[len - 1] == 'y')
		return len - 3;
	return len;
}

size_t hist__nodeid_strip_group(const char *s, size_t len, int is_key)
{
	size_t path, from;
	const char *at;

	/* Nearly every id has no '@' at all: memchr says so fastest. */
	if (!memchr(s, '@', len))
		return len;
	path = path_len(s, len);
	/* Only Python items' names cannot hold '@': another collector's
	 * (users.spec::bob@example.com) may. A JUnit key has lost its ".py"
	 * and is taken as Python, as pytest's junitxml writes it. */
	if (!is_key && (path == len || path < 3 || memcmp(s + path - 3, ".py", 3) != 0))
		return len;
	/* The suffix comes after the parameters: the first '@' past the last
	 * ']' (a group name may hold '@' itself: "test_y@a@b" is group a@b). */
	from = path;
	for (size_t i = len; i-- > path;)
		if (s[i] == ']') {
			from = i;
			break;
		}
	at = memchr(s + from, '@', len - from);
	return at ? (size_t)(at - s) : len;
}

/* FNV-1a alone is weak modulo a power of two: with multiplication modulo
 * 2^64 the low k bits of the product depend only on the low k bits of each
 * byte, so for N = 2, 4, 8, 16 "test_a", "test_e" and "test_q" shared a
 * shard. murmur3's 64-bit finaliser (fmix64) then carries every bit of the
 * FNV-1a value into the low bits the modulo keeps. */
uint64_t hist_nodeid_hash(const char *nodeid, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)nodeid[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* pytest's junitxml (mangle_test_address): split the whole address at the
 * first '[' (yes, even inside the path, as pytest does), the part before into
 * "::" names; the first name, the file, gets '/' -> '.' and ".py" dropped;
 * the parameters go back onto the last name. The key is classname "::" name
 * where classname is the names but the last, joined by '.'. */
int64_t hist_nodeid_junit_key(char *buf, size_t size, const char *s, size_t len)
{
	size_t bracket = names_end(s, len, 0), path = path_len(s, bracket);
	size_t last = path, file = path, n = 0, need;

	if (len == 0)
		return HIST_E_INVALID;
	for (size_t i = path; i + 1 < bracket; i++)
		if (s[i] == ':' && s[i + 1] == ':')
			last = i;

#define OUT(c) do { if (n + 1 < size) buf[n] = (c); n++; } while (0)
	file = hist__nodeid_module_len(s, path);
	if (path == bracket) {
		/* A single name (a file item such as a doctest file): no classname. */
		OUT(':');
		OUT(':');
	}
	for (size_t i = 0; i < file; i++)
		OUT(s[i] == '/' ? '.' : s[i]);
	if (path < bracket) {
		/* Classes between the file and the last name join with '.'. */
		for (size_t i = path; i < last; i++) {
			if (s[i] == ':' && s[i + 1] == ':') {
				OUT('.');
				i++;
			} else {
				OUT(s[i]);
			}
		}
		OUT(':');
		OUT(':');
		for (size_t i = last + 2; i < bracket; i++)
			OUT(s[i]);
	}
	for (size_t i = bracket; i < len; i++)
		OUT(s[i]);
#undef OUT
	need = n;
	if (size)
		buf[need < size ? need : size - 1] = '\0';
	return (int64_t)need;
}

int hist__nodeid_key(hist__buf *b, const char *nodeid, size_t len)
{
	int64_t need = hist_nodeid_junit_key(NULL, 0, nodeid, len);
	int error;

	hist__buf_clear(b);
	if (need < 0)
		return 0;
	if ((error = hist__buf_reserve(b, (size_t)need)) < 0)
		return error;
	hist_nodeid_junit_key(b->ptr, (size_t)need + 1, nodeid, len);
	b->len = (size_t)need;
	return 1;
}
