/* SPDX-License-Identifier: ISC */
/*
 * reqjson.h - reading untrusted JSON (request bodies, JWT segments).
 *
 * reqjson.c is the one server file that includes <cJSON.h>; everything
 * else sees an opaque struct rjson and typed getters that name the field
 * in their error message, so a handler turns any bad input into a 400 that
 * says which field was wrong.  Nesting is capped before cJSON parses
 * (cJSON's own limit is 1000 levels, far more than any request needs).
 *
 * A parsed document is immutable, so several threads may read it at once.
 */
#ifndef TOCK_REQJSON_H
#define TOCK_REQJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tock_err;
struct rjson;

/* What a getter found. */
enum rjson_kind {
	RJ_ABSENT = 0,	/* no such key */
	RJ_NULL = 1,	/* the value is null */
	RJ_VALUE = 2,	/* a value of the asked type, stored in *out */
};

/* 0 if text nests arrays/objects at most max_depth deep, else
 * TOCK_ETOOBIG.  Strings are skipped, escapes included. Pure. */
int rjson_depth_check(const char *text, size_t len, int max_depth);

/* Parse exactly one JSON value of len bytes.  TOCK_EINVAL ("body is not
 * valid JSON"), TOCK_ETOOBIG (nested too deep). */
int rjson_parse(struct rjson **out, const char *text, size_t len,
    int max_depth, struct tock_err *err);
void rjson_free(struct rjson *rj);
bool rjson_is_object(const struct rjson *rj);

/*
 * Getters on the top-level object.  Each returns an enum rjson_kind, or
 * TOCK_EINVAL when the value has another type ("'title' must be a
 * string").  *out is set only for RJ_VALUE; a string is borrowed from the
 * document.
 */
int rjson_get_str(const struct rjson *rj, const char *key, const char **out,
    struct tock_err *err);
/* A number with no fraction in [-2^53, 2^53]. */
int rjson_get_int(const struct rjson *rj, const char *key, int64_t *out,
    struct tock_err *err);
int rjson_get_bool(const struct rjson *rj, const char *key, bool *out,
    struct tock_err *err);
/* An object, as compact JSON text (malloc'd; the caller frees). */
int rjson_get_object(const struct rjson *rj, const char *key, char **out,
    struct tock_err *err);

/* Call fn for each member of the object at key, with the member's name and
 * its value as compact JSON text (valid only during the call).  Stops at
 * the first non-zero return and passes it on.  The key must hold an
 * object (check with rjson_get_object first). */
int rjson_each_member(const struct rjson *rj, const char *key,
    int (*fn)(const char *name, const char *value, void *arg), void *arg);

#endif
