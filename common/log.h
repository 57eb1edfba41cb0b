/*
 * log.h — one-line log records on stderr:
 *   2026-11-24T23:13:13Z hrd[4242] info: listening on /run/homerack/hrd.sock
 * Thread-safe (one fprintf per record). Never pass a raw database URL:
 * use hr_dburl's redacted form.
 */
#ifndef HR_LOG_H
#define HR_LOG_H

typedef enum hr_log_level {
	HR_LOG_DEBUG = 0,
	HR_LOG_INFO = 1,
	HR_LOG_WARN = 2,
	HR_LOG_ERROR = 3,
} hr_log_level;

/* Program name shown in records and records below min are dropped. */
void hr_log_init(const char *progname, hr_log_level min);

void hr_log(hr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
