/* log.c — timestamped stderr logging. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *log_progname = "hr";
static hr_log_level log_min = HR_LOG_INFO;

void hr_log_init(const char *progname, hr_log_level min)
{
	log_progname = progname;
	log_min = min;
}

void hr_log(hr_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warning",
					    "error"};
	char stamp[32], text[2048];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level < log_min)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s[%ld] %s: %s\n", stamp, log_progname,
		(long)getpid(), names[level], text);
}
