/* cli.c - shared front-end helpers for the hist tools.
 * Owns: the "prog:" prefix, usage errors, --version text, progress lines and
 * the option-then-environment-then-default rule for --db and --suite. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"

static const char *prog_name = "hist";
static int verbosity;
static int progress_shown;

void cli_init(const char *prog)
{
	prog_name = prog;
}

const char *cli_prog(void)
{
	return prog_name;
}

static void vmessage(const char *fmt, va_list ap)
{
	cli_progress_done();
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog_name);
	return CLI_USAGE;
}

int cli_option_error(int c, char *const *argv)
{
	if (c == ':')
		return cli_usage_error("%s: expected a value", argv[optind - 1]);
	if (optopt)
		return cli_usage_error("unknown option '-%c'", optopt);
	return cli_usage_error("unknown option '%s'", argv[optind - 1]);
}

void cli_version(void)
{
	printf("%s (hist) %s\nlibhist %s; %s\n", prog_name, HIST_VERSION_STRING, hist_version(),
		hist_dependency_versions());
}

void cli_set_verbosity(int v)
{
	verbosity = v;
}

int cli_verbosity(void)
{
	return verbosity;
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0 || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	progress_shown = 1;
}

void cli_progress_done(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

int cli_parse_long(long *out, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_double(double *out, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

const char *cli_db_path(const char *option)
{
	const char *env = getenv("HIST_DB");

	return option ? option : env && *env ? env : ".hist.db";
}

const char *cli_suite(const char *option)
{
	const char *env = getenv("HIST_SUITE");

	return option ? option : env && *env ? env : "default";
}

/* Length of the UTF-8 sequence at p, or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;

	if (n == 2 && *p < 0xc2)
		return 0; /* overlong */
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The code point of the valid sequence of n bytes at p. */
static uint32_t code_point(const unsigned char *p, size_t n)
{
	uint32_t c = n == 1 ? p[0] : n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;

	for (size_t i = 1; i < n; i++)
		c = c << 6 | (p[i] & 0x3fu);
	return c;
}

/* Columns a terminal gives code point c: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide and fullwidth ones and
 * emoji, else 1. A fixed table, not wcwidth(): that one needs a UTF-8
 * locale, and the tools never call setlocale (golden tests run LC_ALL=C). */
static int columns(uint32_t c)
{
	static const uint32_t zero[][2] = { { 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
		{ 0x0610, 0x061a }, { 0x064b, 0x065f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
		{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
		{ 0xfeff, 0xfeff } };
	static const uint32_t wide[][2] = { { 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
		{ 0x23e9, 0x23ec }, { 0x2614, 0x2615 }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
		{ 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd } };

	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* Columns of the character at p and its length in bytes; a byte that
 * starts no valid sequence is one column (the terminal shows one mark). */
static int next_char(const unsigned char *p, size_t *len)
{
	size_t n = utf8_len(p);

	*len = n ? n : 1;
	return n ? columns(code_point(p, n)) : 1;
}

size_t cli_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;

	while (*p) {
		w += (size_t)next_char(p, &n);
		p += n;
	}
	return w;
}

const char *cli_tail(const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = cli_width(s), n;

	/* Whole characters off the front until the rest fits. */
	while (*p && w > cols) {
		w -= (size_t)next_char(p, &n);
		p += n;
	}
	/* A combining mark left at the start would sit on the "..". */
	while (*p && next_char(p, &n) == 0)
		p += n;
	return (const char *)p;
}

void cli_pad(FILE *f, const char *s, size_t cols)
{
	size_t w = cli_width(s);

	fputs(s, f);
	for (; w < cols; w++)
		fputc(' ', f);
}

void cli_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else if (n)
			fwrite(p, 1, n, f);
		else
			fputs("\\ufffd", f);
		p += n ? n : 1;
	}
	fputc('"', f);
}

void cli_utc(char *buf, size_t size, int64_t us)
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : -((-(us + 1)) / 1000000) - 1);
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, size, "%lld us", (long long)us);
}

unsigned int cli_busy_timeout_ms(void)
{
	const char *env = getenv("HIST_BUSY_TIMEOUT");
	double secs;

	if (!env || !*env)
		return 30000;
	if (cli_parse_double(&secs, env) < 0 || secs < 0 || secs > 86400) {
		cli_error("HIST_BUSY_TIMEOUT: expected seconds from 0 to 86400, not '%s'; waiting 30 s", env);
		return 30000;
	}
	return (unsigned int)(secs * 1000);
}

const char *cli_seconds(char buf[32], int64_t us)
{
	snprintf(buf, 32, "%lld.%03lld", (long long)((us + 500) / 1000000), (long long)((us + 500) / 1000 % 1000));
	return buf;
}

const char *cli_plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
