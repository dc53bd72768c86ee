/* tocktest.c - shared helpers for the unit tests (see tocktest.h). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tocktest.h"
#include "xmalloc.h"

char *
tt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = xasprintf("%s/tocktest.XXXXXX", base ? base : "/tmp");

	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tt_rmtree(char *path)
{
	if (path == NULL)
		return;
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

void
tt_set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}
