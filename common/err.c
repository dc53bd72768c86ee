/* err.c - filling struct tock_err, and TOCK_BUG. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

int
tock_err_set(struct tock_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void
tock_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* The one place common/ writes to stderr: the process is about to die. */
	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
