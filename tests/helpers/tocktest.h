/*
 * tocktest.h - helpers shared by the cmocka unit tests: temporary
 * directories that are removed afterwards, and a fixed time zone.
 */
#ifndef TOCKTEST_H
#define TOCKTEST_H

/* mkdtemp under $TMPDIR; the caller passes the result to tt_rmtree. */
char *tt_tmpdir(void);
/* rm -r; frees path. */
void tt_rmtree(char *path);
/* setenv TZ and tzset(). */
void tt_set_tz(const char *tz);

#endif
