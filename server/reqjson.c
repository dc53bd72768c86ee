/* SPDX-License-Identifier: ISC */
/*
 * reqjson.c - untrusted JSON through cJSON (see reqjson.h).  The only
 * server file that includes <cJSON.h>.  cJSON_ParseWithLengthOpts is used
 * with its end pointer rather than cJSON_GetErrorPtr, which is global and
 * not thread-safe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "err.h"
#include "reqjson.h"

struct rjson {
	cJSON *root;
};

int
rjson_depth_check(const char *text, size_t len, int max_depth)
{
	int depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return TOCK_ETOOBIG;
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return 0;
}

int
rjson_parse(struct rjson **out, const char *text, size_t len, int max_depth,
    struct tock_err *err)
{
	const char *end = NULL;
	struct rjson *rj;
	cJSON *root;

	if (rjson_depth_check(text, len, max_depth) != 0)
		return tock_err_set(err, TOCK_ETOOBIG,
		    "body nests deeper than %d levels", max_depth);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL)
		return tock_err_set(err, TOCK_EINVAL, "body is not valid JSON");
	/* Only blanks may follow the value. */
	while (end != NULL && end < text + len &&
	    (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != NULL && end < text + len && *end != '\0') {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL,
		    "body is not valid JSON (text after the value)");
	}
	if ((rj = malloc(sizeof *rj)) == NULL) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_ERR, "out of memory");
	}
	rj->root = root;
	*out = rj;
	return 0;
}

void
rjson_free(struct rjson *rj)
{
	if (rj == NULL)
		return;
	cJSON_Delete(rj->root);
	free(rj);
}

bool
rjson_is_object(const struct rjson *rj)
{
	return rj != NULL && cJSON_IsObject(rj->root);
}

/* The member or NULL; RJ_ABSENT/RJ_NULL handled by the caller. */
static const cJSON *
member(const struct rjson *rj, const char *key)
{
	if (rj == NULL || !cJSON_IsObject(rj->root))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(rj->root, key);
}

int
rjson_get_str(const struct rjson *rj, const char *key, const char **out,
    struct tock_err *err)
{
	const cJSON *v = member(rj, key);

	if (v == NULL)
		return RJ_ABSENT;
	if (cJSON_IsNull(v))
		return RJ_NULL;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return tock_err_set(err, TOCK_EINVAL, "'%s' must be a string",
		    key);
	*out = v->valuestring;
	return RJ_VALUE;
}

int
rjson_get_int(const struct rjson *rj, const char *key, int64_t *out,
    struct tock_err *err)
{
	const cJSON *v = member(rj, key);
	double d;

	if (v == NULL)
		return RJ_ABSENT;
	if (cJSON_IsNull(v))
		return RJ_NULL;
	if (!cJSON_IsNumber(v))
		return tock_err_set(err, TOCK_EINVAL, "'%s' must be a number",
		    key);
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return tock_err_set(err, TOCK_EINVAL,
		    "'%s' must be a whole number", key);
	*out = (int64_t)d;
	return RJ_VALUE;
}

int
rjson_get_bool(const struct rjson *rj, const char *key, bool *out,
    struct tock_err *err)
{
	const cJSON *v = member(rj, key);

	if (v == NULL)
		return RJ_ABSENT;
	if (cJSON_IsNull(v))
		return RJ_NULL;
	if (!cJSON_IsBool(v))
		return tock_err_set(err, TOCK_EINVAL,
		    "'%s' must be true or false", key);
	*out = cJSON_IsTrue(v);
	return RJ_VALUE;
}

int
rjson_get_object(const struct rjson *rj, const char *key, char **out,
    struct tock_err *err)
{
	const cJSON *v = member(rj, key);
	char *text;

	if (v == NULL)
		return RJ_ABSENT;
	if (cJSON_IsNull(v))
		return RJ_NULL;
	if (!cJSON_IsObject(v))
		return tock_err_set(err, TOCK_EINVAL, "'%s' must be an object",
		    key);
	if ((text = cJSON_PrintUnformatted(v)) == NULL)
		return tock_err_set(err, TOCK_ERR, "out of memory");
	*out = strdup(text);
	cJSON_free(text);
	if (*out == NULL)
		return tock_err_set(err, TOCK_ERR, "out of memory");
	return RJ_VALUE;
}

int
rjson_each_member(const struct rjson *rj, const char *key,
    int (*fn)(const char *name, const char *value, void *arg), void *arg)
{
	const cJSON *obj = member(rj, key), *m;
	char *text;
	int rc;

	if (obj == NULL || !cJSON_IsObject(obj))
		return 0;
	cJSON_ArrayForEach(m, obj) {
		if ((text = cJSON_PrintUnformatted(m)) == NULL)
			return TOCK_ERR;
		rc = fn(m->string, text, arg);
		cJSON_free(text);
		if (rc != 0)
			return rc;
	}
	return 0;
}
