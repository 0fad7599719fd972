/*
 * Logging for every part of keyhole.  One line per call, tagged and filtered
 * by level by the console (hv/runtime/console.c); the unit tests capture the lines so
 * they can assert that an error was reported, not just returned.
 */
#ifndef KEYHOLE_LOG_H
#define KEYHOLE_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void kh_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) kh_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) kh_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) kh_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) kh_log(LOG_DEBUG, __VA_ARGS__)

#endif
