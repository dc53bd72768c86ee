/*
 * log.h - logging for the daemons and the CLI's -v (OpenBSD log.c, tmux).
 * Messages go to stderr, or to syslog once log_init() is told to.  The
 * level test is in the macro, so arguments are not evaluated when off.
 */
#ifndef TOCK_LOG_H
#define TOCK_LOG_H

enum log_level { LOG_LVL_WARN = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };
enum log_flags { LOG_TO_SYSLOG = 1 << 0 };

extern int log_level;

void log_init(const char *progname, int level, int flags);
void log_emit(int level, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_warn(...) log_emit(LOG_LVL_WARN, 1, __VA_ARGS__)
#define log_warnx(...) log_emit(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...) do { if (log_level >= LOG_LVL_INFO) \
	log_emit(LOG_LVL_INFO, 0, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_level >= LOG_LVL_DEBUG) \
	log_emit(LOG_LVL_DEBUG, 0, __VA_ARGS__); } while (0)

#endif
