/* SPDX-License-Identifier: ISC */
/*
 * route.c - matching a request path against the route table (route.h).
 * Both strings are walked segment by segment; nothing is allocated.
 */
#include <stdbool.h>
#include <string.h>

#include "route.h"

/* Does path match pattern?  Fills params when it does. */
static bool
path_matches(const char *pattern, const char *path, size_t pathlen,
    char params[REQ_PARAM_MAX][REQ_PARAM_LEN])
{
	const char *p = pattern, *s = path, *end = path + pathlen;
	const char *pe, *se;
	int np = 0;

	for (;;) {
		if (*p != '/' || s >= end || *s != '/')
			return false;
		p++;
		s++;
		pe = strchr(p, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		se = memchr(s, '/', (size_t)(end - s));
		if (se == NULL)
			se = end;
		if (*p == '{') {
			if (se == s || (size_t)(se - s) >= REQ_PARAM_LEN ||
			    np >= REQ_PARAM_MAX)
				return false;
			memcpy(params[np], s, (size_t)(se - s));
			params[np][se - s] = '\0';
			np++;
		} else if (pe - p != se - s || memcmp(p, s, (size_t)(pe - p)) != 0)
			return false;
		p = pe;
		s = se;
		if (*p == '\0')
			return s == end;
		if (s == end)
			return false;
	}
}

const struct route *
route_match(const struct route *table, int method, const char *path,
    char params[REQ_PARAM_MAX][REQ_PARAM_LEN], int *status, char *allow,
    size_t allowsize)
{
	char scratch[REQ_PARAM_MAX][REQ_PARAM_LEN];
	const struct route *r;
	size_t len = strlen(path);
	bool path_known = false;

	if (allow != NULL && allowsize > 0)
		allow[0] = '\0';
	if (len > 1 && path[len - 1] == '/')
		len--;
	for (r = table; r->pattern != NULL; r++) {
		if (!path_matches(r->pattern, path, len, scratch))
			continue;
		if (r->method == method) {
			memcpy(params, scratch, sizeof scratch);
			return r;
		}
		if (allow != NULL && allowsize > 0) {
			const char *m = http_method_name(r->method);
			size_t used = strlen(allow);

			if (used + strlen(m) + 3 < allowsize) {
				if (used > 0)
					strcat(allow, ", ");
				strcat(allow, m);
			}
		}
		path_known = true;
	}
	*status = path_known ? 405 : 404;
	return NULL;
}
