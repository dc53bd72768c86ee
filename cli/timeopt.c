/* timeopt.c - user-given times for the time commands (see timeopt.h). */
#include "err.h"
#include "timeopt.h"
#include "timeparse.h"

int
timeopt_past(int64_t *out, const char *what, const char *s, int64_t now,
    struct tock_err *err)
{
	int rc;

	if ((rc = timeparse_when(out, s, now, err)) != 0)
		return rc;
	if (*out > now + 60000)
		return tock_err_set(err, TOCK_EINVAL,
		    "%s '%s' is in the future", what, s);
	if (*out > now)
		*out = now;
	return 0;
}
