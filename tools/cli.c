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
