/*
 * timeopt.h - parsing of --at style options for the time commands, with
 * the rule they share: a time given by the user may not be in the future.
 */
#ifndef TOCK_TIMEOPT_H
#define TOCK_TIMEOPT_H

#include <stdint.h>

struct tock_err;

/* Parse WHEN relative to now; TOCK_EINVAL if it is after now (a minute of
 * slack allows for "HH:MM" typed in the current minute). */
int timeopt_past(int64_t *out, const char *what, const char *s, int64_t now,
    struct tock_err *err);

#endif
