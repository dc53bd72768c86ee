/* log.c - the log sink shared by tock's programs (see log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int log_level = LOG_LVL_WARN;
static const char *log_prog = "tock";
static int log_flags;

void
log_init(const char *progname, int level, int flags)
{
	log_prog = progname;
	log_level = level;
	log_flags = flags;
	if (flags & LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_emit(int level, int with_errno, const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (with_errno)
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(saved));
	if (log_flags & LOG_TO_SYSLOG) {
		syslog(level == LOG_LVL_WARN ? LOG_WARNING :
		    level == LOG_LVL_INFO ? LOG_INFO : LOG_DEBUG, "%s", msg);
		return;
	}
	fprintf(stderr, "%s: %s\n", log_prog, msg);
	errno = saved;
}
