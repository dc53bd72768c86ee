/*
 * err.h - error codes and the error struct every common/ function fills.
 *
 * Functions return 0 (TOCK_OK) or a negative code, and describe the failure
 * in a caller-supplied struct tock_err (NULL allowed).  The message is for
 * people: lower-case, no full stop, subject quoted.  The struct is left
 * untouched on success so calls can chain.  common/ never prints: the
 * front-ends decide how to report.
 */
#ifndef TOCK_ERR_H
#define TOCK_ERR_H

enum tock_errcode {
	TOCK_OK = 0,
	TOCK_ERR = -1,		/* anything unexpected */
	TOCK_ENOTFOUND = -2,	/* no such task, entry, ... */
	TOCK_EEXISTS = -3,
	TOCK_EINVAL = -4,	/* bad input from the user or the wire */
	TOCK_EBUSY = -5,	/* database locked past the busy timeout */
	TOCK_ECONFLICT = -6,
	TOCK_ETOOBIG = -7,
	TOCK_EPROTO = -8,
	TOCK_EIO = -9,
	TOCK_EAMBIGUOUS = -10,	/* a reference matches several rows */
	TOCK_ENOTRUNNING = -11, /* no timer runs */
	TOCK_EAUTH = -12,	/* not logged in, or the server refused the token */
	TOCK_EFORBIDDEN = -13,	/* the server's role check refused */
};

struct tock_err {
	int code;
	char msg[256];
};

#define TOCK_ERR_INIT { 0, "" }

/* Fill err (if not NULL) and return code. */
int tock_err_set(struct tock_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Programmer errors: print file:line and abort (git's BUG()). */
void tock_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
#define TOCK_BUG(...) tock_bug(__FILE__, __LINE__, __VA_ARGS__)

#endif
