/* SPDX-License-Identifier: ISC */
/*
 * api_sync_push.c - POST /api/v1/sync/push (syncd/PROTOCOL.md "Push",
 * SYNC.md 3.6, 3.10-3.12): the request's shape, the transaction, and the
 * answer.  The per-op merge lives in syncmerge.c.
 *
 * Lock order (the one REST writes use too): device row, then the user's
 * own row when a time entry is pushed (FOR NO KEY UPDATE, as a REST timer
 * start takes it: it serializes the user's timers, yet lets the KEY SHARE
 * of an FK check from a write that already holds a scope lock through, so
 * one waiting for that scope cannot deadlock it), then scopes in ascending
 * uuid order (a workspace the push creates last: nobody else knows its
 * id yet), then entity rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "changelog.h"
#include "err.h"
#include "log.h"
#include "pg.h"
#include "reqjson.h"
#include "server.h"
#include "syncmerge.h"
#include "timeparse.h"

#define PUSH_MAX_OPS 500

/* Skip one JSON value starting at p (the document is already known to be
 * valid JSON): the position just after it. */
static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	p = skip_ws(p, end);
	do {
		if (p >= end)
			return end;
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (depth == 0) {
			while (p < end && *p != ',' && *p != '}' && *p != ']' &&
			    *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
				p++;
		} else
			p++;
	} while (depth > 0);
	return p;
}

/* The span of the top-level member "ops" (an array), or -1. */
static int
find_ops(const char *body, size_t len, const char **start, const char **end)
{
	const char *p = body, *e = body + len, *k;
	size_t klen;

	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return -1;
	p++;
	for (;;) {
		p = skip_ws(p, e);
		if (p >= e || *p != '"')
			return -1;
		k = ++p;
		while (p < e && *p != '"')
			p += *p == '\\' ? 2 : 1;
		klen = (size_t)(p - k);
		p = skip_ws(p + 1, e);
		if (p >= e || *p != ':')
			return -1;
		p = skip_ws(p + 1, e);
		if (klen == 3 && memcmp(k, "ops", 3) == 0) {
			if (*p != '[')
				return -1;
			*start = p;
			*end = skip_value(p, e);
			return 0;
		}
		p = skip_ws(skip_value(p, e), e);
		if (p >= e || *p != ',')
			return -1;
		p++;
	}
}

static const char *const e_names[] = { "", "task", "time_entry", "comment",
	"workspace" };

static int
parse_e(const char *s)
{
	int i;

	for (i = 1; i < 5; i++)
		if (strcmp(s, e_names[i]) == 0)
			return i;
	return 0;
}

static int
parse_kind(const char *s)
{
	static const struct {
		const char *name;
		int kind;
	} k[] = { { "create", OP_CREATE }, { "set", OP_SET },
		{ "delete", OP_DELETE }, { "restore", OP_RESTORE },
		{ "timer.start", OP_TIMER_START },
		{ "timer.stop", OP_TIMER_STOP } };
	size_t i;

	for (i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(s, k[i].name) == 0)
			return k[i].kind;
	return 0;
}

/* Parse op number i from text; -1 after answering 400. */
static int
parse_op(struct resp *rs, struct push_op *op, int i, const char *text,
    size_t len, int depth)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *s;
	char name[48];
	int k;

#define BAD(f, ...) do { \
	snprintf(name, sizeof name, "ops[%d].%s", i, f); \
	resp_field_error(rs, name, __VA_ARGS__); \
	return -1; \
} while (0)
	if (rjson_parse(&op->doc, text, len, depth, &err) != 0 ||
	    !rjson_is_object(op->doc)) {
		snprintf(name, sizeof name, "ops[%d]", i);
		resp_field_error(rs, name, "'%s' must be an object", name);
		return -1;
	}
	if ((k = rjson_get_int(op->doc, "seq", &op->seq, &err)) != RJ_VALUE)
		BAD("seq", "'ops[%d].seq' must be an integer", i);
	if (rjson_get_str(op->doc, "id", &s, &err) != RJ_VALUE ||
	    !uuid_valid(s))
		BAD("id", "'ops[%d].id' must be a UUID", i);
	snprintf(op->id, sizeof op->id, "%s", s);
	if (rjson_get_str(op->doc, "scope", &s, &err) != RJ_VALUE ||
	    !(uuid_valid(s) || (strncmp(s, "u:", 2) == 0 &&
	    uuid_valid(s + 2))))
		BAD("scope", "'ops[%d].scope' must be a UUID or u:UUID", i);
	snprintf(op->scope, sizeof op->scope, "%s", s);
	if (rjson_get_str(op->doc, "e", &s, &err) != RJ_VALUE ||
	    (op->e = parse_e(s)) == 0)
		BAD("e", "'ops[%d].e' must be task, time_entry, comment or "
		    "workspace", i);
	if (rjson_get_str(op->doc, "eid", &s, &err) != RJ_VALUE ||
	    !uuid_valid(s))
		BAD("eid", "'ops[%d].eid' must be a UUID", i);
	snprintf(op->eid, sizeof op->eid, "%s", s);
	if (rjson_get_str(op->doc, "kind", &s, &err) != RJ_VALUE ||
	    (op->kind = parse_kind(s)) == 0)
		BAD("kind", "'ops[%d].kind' must be create, set, delete, "
		    "restore, timer.start or timer.stop", i);
	if (rjson_get_str(op->doc, "hlc", &s, &err) != RJ_VALUE ||
	    strlen(s) != HLC_STRLEN || hlc_parse(&op->h, s, NULL) != 0)
		BAD("hlc", "'ops[%d].hlc' must be an HLC", i);
	snprintf(op->hlc, sizeof op->hlc, "%s", s);
	if (rjson_get_object(op->doc, "fields", &op->fields_text, &err) !=
	    RJ_VALUE)
		BAD("fields", "'ops[%d].fields' must be an object", i);
	if (rjson_parse(&op->fields, op->fields_text,
	    strlen(op->fields_text), depth, &err) != 0)
		BAD("fields", "'ops[%d].fields' must be an object", i);
	k = rjson_get_object(op->doc, "base", &op->base_text, &err);
	if (k < 0 || k == RJ_NULL)
		BAD("base", "'ops[%d].base' must be an object", i);
	if (k == RJ_VALUE && rjson_parse(&op->base, op->base_text,
	    strlen(op->base_text), depth, &err) != 0)
		BAD("base", "'ops[%d].base' must be an object", i);
#undef BAD
	return 0;
}

static void
ops_free(struct push_op *ops, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		rjson_free(ops[i].doc);
		rjson_free(ops[i].fields);
		rjson_free(ops[i].base);
		free(ops[i].fields_text);
		free(ops[i].base_text);
		strbuf_release(&ops[i].result);
	}
	free(ops);
}

static int
version_ok(struct req *rq, struct resp *rs)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t v = 0, sc = 0;

	if (rjson_get_int(rq->json, "v", &v, &err) != RJ_VALUE || v != 1) {
		resp_error(rs, 426, "proto_unsupported",
		    "this server speaks sync protocol 1");
		strbuf_setlen(&rs->body, rs->body.len - 1);
		strbuf_addstr(&rs->body, ",\"min\":1,\"max\":1}");
		return -1;
	}
	if (rjson_get_int(rq->json, "schema", &sc, &err) != RJ_VALUE ||
	    sc != 1) {
		resp_error(rs, 426, "schema_unsupported",
		    "this server speaks schema 1");
		strbuf_setlen(&rs->body, rs->body.len - 1);
		strbuf_addstr(&rs->body, ",\"min\":1,\"max\":1}");
		return -1;
	}
	return 0;
}

void
api_sync_push(struct req *rq, struct resp *rs, struct pg *pg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct push_op *ops = NULL;
	struct push_ctx ctx;
	const char *dev, *p, *e, *q;
	int64_t rat = 0;
	int n = 0, k, depth;

	memset(&ctx, 0, sizeof ctx);
	if (version_ok(rq, rs) != 0)
		return;
	if (api_body_uuid(rq, rs, "device_id", false, &dev, &k) != 0)
		return;
	if (k != RJ_VALUE) {
		resp_field_error(rs, "device_id", "'device_id' is required");
		return;
	}
	k = rjson_get_int(rq->json, "results_acked_through", &rat, &err);
	if (k < 0 || k == RJ_NULL || rat < 0) {
		resp_field_error(rs, "results_acked_through",
		    "'results_acked_through' must be an integer >= 0");
		return;
	}
	if (find_ops(rq->body.buf, rq->body.len, &p, &e) != 0) {
		resp_field_error(rs, "ops", "'ops' must be an array");
		return;
	}
	depth = rq->shared != NULL && rq->shared->cfg != NULL ?
	    rq->shared->cfg->json_depth_max : 32;
	ops = calloc(PUSH_MAX_OPS, sizeof *ops);
	if (ops == NULL) {
		resp_internal(rs, rq, "out of memory");
		return;
	}
	/* Walk the array: '[' value (',' value)* ']'. */
	p = skip_ws(p + 1, e);
	while (p < e && *p != ']') {
		if (n == PUSH_MAX_OPS) {
			resp_error(rs, 413, "batch_too_large",
			    "at most %d ops per push", PUSH_MAX_OPS);
			goto out;
		}
		q = skip_value(p, e);
		strbuf_init(&ops[n].result, 0);
		if (parse_op(rs, &ops[n], n, p, (size_t)(q - p), depth) != 0) {
			n++;
			goto out;
		}
		n++;
		p = skip_ws(q, e);
		if (p < e && *p == ',')
			p = skip_ws(p + 1, e);
	}
	snprintf(ctx.device_id, sizeof ctx.device_id, "%s", dev);
	snprintf(ctx.user_id, sizeof ctx.user_id, "%s", rq->user_id);
	ctx.results_acked_through = rat;
	ctx.pg = pg;
	ctx.rq = rq;
	ctx.rs = rs;
	ctx.ops = ops;
	ctx.nops = n;
	push_run(&ctx);
out:
	ops_free(ops, n);
}
