/* SPDX-License-Identifier: ISC */
/*
 * route.h - the REST route table and path matching.
 *
 * A pattern is a path whose segments are literal or "{name}"; a "{name}"
 * segment matches one non-empty segment of at most REQ_PARAM_LEN - 1
 * bytes, copied into params[] in order (validation, such as "is this a
 * UUID", is the handler's, so it can name the parameter in a 400).  One
 * trailing slash on the path is ignored.  Matching is pure and
 * thread-safe.
 */
#ifndef TOCK_ROUTE_H
#define TOCK_ROUTE_H

#include "server.h"

struct pg;

/* A handler: runs on a database worker (pg is its connection) or, for
 * ROUTE_LOCAL routes, on the service thread with pg NULL.  It must set
 * rs->status. */
typedef void route_fn(struct req *rq, struct resp *rs, struct pg *pg);
/* A group-commit handler (pool.h): answers every one of the n jobs, all
 * of the same route, in one transaction on pg.  n >= 2. */
struct job;
typedef void route_batch_fn(struct job **jobs, int n, struct pg *pg);

enum route_flags {
	ROUTE_AUTH = 1 << 0,	 /* needs a valid access token */
	ROUTE_AUTH_RATE = 1 << 1, /* per-IP auth bucket (login, refresh) */
	ROUTE_LOCAL = 1 << 2,	 /* answered on the service thread */
	ROUTE_JSON = 1 << 3,	 /* body must be a JSON object */
};

struct route {
	int method;		/* enum http_method */
	const char *pattern;
	int flags;
	route_fn *fn;
	const char *param_names[REQ_PARAM_MAX];
};

/*
 * Find the route for method and path in table (ended by a row whose
 * pattern is NULL).  On a match returns it with params filled.  Otherwise
 * returns NULL and *status says why: 404 (no pattern matches the path) or
 * 405 (the path exists for other methods, listed in allow, e.g.
 * "GET, POST").
 */
const struct route *route_match(const struct route *table, int method,
    const char *path, char params[REQ_PARAM_MAX][REQ_PARAM_LEN],
    int *status, char *allow, size_t allowsize);

#endif
