/* cli.c - shared front-end helpers for the hist tools.
 * Owns: the "prog:" prefix, usage errors, --version text, progress lines and
 * the option-then-environment-then-default rule for --db and --suite. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
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
