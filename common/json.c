/*
 * json.c - the JSON codecs of common/: the documented `--json` shapes of
 * tasks, time entries and comments, the outbox op as it goes on the wire,
 * and the small metadata helpers (tags, string keys, validation).
 *
 * This is the only file that includes <cJSON.h>; the rest of the project
 * deals in structs and strings, never in cJSON trees.
 *
 * Encoders spell the key order out with strbuf, because that order is part
 * of the documented output.  JSON that is stored as text (metadata, an op's
 * fields and base) is parsed and printed again with cJSON, so it comes out
 * compact and well-formed whatever the stored text looked like.
 *
 * Decoders read untrusted text (tock import, the sync wire): the length is
 * bounded before anything is parsed, cJSON's CJSON_NESTING_LIMIT bounds the
 * depth, trailing garbage is refused, and every known field is type-checked
 * with its name in the message.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "err.h"
#include "json.h"
#include "model.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "uuid.h"
#include "xmalloc.h"

/* Largest text any decoder will look at: far above any real row or op,
 * small enough that a hostile peer cannot make us allocate without end. */
#define JSON_MAX_INPUT (16 * 1024 * 1024)

/* Integers that survive a trip through a double (cJSON keeps numbers as
 * doubles), so larger ones are refused rather than silently rounded. */
#define JSON_MAX_SAFE_INT 9007199254740992LL	/* 2^53 */

#define F_REQ 0x1	/* the field must be present and not null */

/* ----- parsing ----- */

static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Parse exactly one JSON value from json[0..len).  The end pointer of
 * cJSON_ParseWithLengthOpts gives the error position without the global
 * cJSON_GetErrorPtr, which is not thread-safe.
 */
static int
parse_value(cJSON **out, const char *json, size_t len, struct tock_err *err)
{
	const char *end = json;
	cJSON *root;
	size_t off;

	if (len > JSON_MAX_INPUT)
		return tock_err_set(err, TOCK_ETOOBIG,
		    "JSON text is too big (%zu bytes, at most %d)", len,
		    JSON_MAX_INPUT);
	if (json == NULL || len == 0)
		return tock_err_set(err, TOCK_EINVAL, "empty JSON text");
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (root == NULL) {
		off = end != NULL && end >= json ? (size_t)(end - json) : 0;
		return tock_err_set(err, TOCK_EINVAL,
		    "malformed JSON near byte %zu", off);
	}
	/* Without require_null_terminated cJSON stops after the value; a
	 * second value or junk after it is still an error for us. */
	for (off = (size_t)(end - json); off < len; off++)
		if (!is_json_space(json[off]))
			break;
	if (off < len) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL,
		    "unexpected text after JSON value at byte %zu", off);
	}
	*out = root;
	return 0;
}

static int
parse_object(cJSON **out, const char *json, size_t len, struct tock_err *err)
{
	cJSON *root;
	int rc;

	if ((rc = parse_value(&root, json, len, err)) != 0)
		return rc;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL,
		    "JSON text must be an object");
	}
	*out = root;
	return 0;
}

/* Stored JSON object text (metadata, fields) as a tree, or NULL when it is
 * missing, bad or not an object: callers treat NULL as {}. */
static cJSON *
parse_stored_object(const char *text)
{
	cJSON *root;

	if (text == NULL || parse_value(&root, text, strlen(text), NULL) != 0)
		return NULL;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* A tree as compact text owned by the caller (free()), so nothing outside
 * this file ever has to know about cJSON_free. */
static char *
print_compact(const cJSON *item)
{
	char *p, *s;

	if ((p = cJSON_PrintUnformatted(item)) == NULL)
		TOCK_BUG("cJSON_PrintUnformatted failed");	/* OOM */
	s = xstrdup(p);
	cJSON_free(p);
	return s;
}

/* ----- times ----- */

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* "YYYY-MM-DD" with a real calendar day. */
static bool
date_valid(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	*y = digits(s, 4);
	*m = digits(s + 5, 2);
	*d = digits(s + 8, 2);
	return *y >= 0 && *m >= 1 && *m <= 12 && *d >= 1 &&
	    *d <= time_days_in_month(*y, *m);
}

/*
 * Exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" or "YYYY-MM-DDTHH:MM:SSZ", the form
 * timefmt_iso_utc writes.  Deliberately not timeparse_when: the wire has
 * one spelling, and local times or offsets there would be a bug elsewhere.
 */
static bool
iso_utc_parse(int64_t *out, const char *s)
{
	struct tm tm;
	size_t len = strlen(s);
	int y, mo, d, h, mi, sec, ms = 0;
	time_t t;

	if (len != 20 && len != 24)
		return false;
	if (!date_valid(s, &y, &mo, &d) || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[len - 1] != 'Z')
		return false;
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return false;
	if (len == 24 && (s[19] != '.' || (ms = digits(s + 20, 3)) < 0))
		return false;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (int64_t)t * 1000 + ms;
	return true;
}

/* ----- encoding ----- */

/* The key with its separator: every object here starts with '{' in b. */
static void
add_key(struct strbuf *b, const char *key)
{
	if (b->len > 0 && b->buf[b->len - 1] != '{')
		strbuf_addch(b, ',');
	strbuf_add_json_str(b, key);
	strbuf_addch(b, ':');
}

/* A string; NULL is written as "" (required text columns). */
static void
add_str(struct strbuf *b, const char *key, const char *s)
{
	add_key(b, key);
	strbuf_add_json_str(b, s != NULL ? s : "");
}

/* A string or null when NULL (joined names and titles). */
static void
add_nstr(struct strbuf *b, const char *key, const char *s)
{
	add_key(b, key);
	if (s == NULL)
		strbuf_addstr(b, "null");
	else
		strbuf_add_json_str(b, s);
}

/* An id or date kept in a fixed array, where "" means none. */
static void
add_id(struct strbuf *b, const char *key, const char *s)
{
	add_nstr(b, key, s[0] != '\0' ? s : NULL);
}

static void
add_int(struct strbuf *b, const char *key, int64_t v)
{
	add_key(b, key);
	strbuf_addf(b, "%lld", (long long)v);
}

/* Short numbers: 0 means the task has none (it is closed). */
static void
add_num(struct strbuf *b, const char *key, int v)
{
	add_key(b, key);
	if (v == 0)
		strbuf_addstr(b, "null");
	else
		strbuf_addf(b, "%d", v);
}

static void
add_bool(struct strbuf *b, const char *key, bool v)
{
	add_key(b, key);
	strbuf_addstr(b, v ? "true" : "false");
}

static void
add_time(struct strbuf *b, const char *key, int64_t ms)
{
	char buf[64];

	timefmt_iso_utc(buf, sizeof buf, ms);
	add_str(b, key, buf);
}

/* An object tree compactly, or {} for NULL. */
static void
add_object(struct strbuf *b, const char *key, const cJSON *obj)
{
	char *s;

	add_key(b, key);
	if (obj == NULL) {
		strbuf_addstr(b, "{}");
		return;
	}
	s = print_compact(obj);
	strbuf_addstr(b, s);
	free(s);
}

/* Stored object text, re-printed compactly ({} when it is bad). */
static void
add_object_text(struct strbuf *b, const char *key, const char *text)
{
	cJSON *obj = parse_stored_object(text);

	add_object(b, key, obj);
	cJSON_Delete(obj);
}

/*
 * The encoders build into a private buffer and append it in one go, so a
 * caller's bounded strbuf gets the whole object or nothing, never half.
 */
static void
finish(struct strbuf *sb, struct strbuf *b)
{
	strbuf_addch(b, '}');
	strbuf_add(sb, b->buf, b->len);
	strbuf_release(b);
}

void
json_task_encode(struct strbuf *sb, const struct task *t)
{
	struct strbuf b = STRBUF_INIT;
	cJSON *meta = parse_stored_object(t->metadata);
	const cJSON *tags, *prio, *it;
	bool first = true;

	strbuf_addch(&b, '{');
	add_str(&b, "id", t->id);
	add_num(&b, "num", t->num);
	add_str(&b, "title", t->title);
	add_str(&b, "description", t->description);
	add_str(&b, "status", task_status_name(t->status));
	add_id(&b, "assignee_id", t->assignee_id);
	add_nstr(&b, "assignee", t->assignee_name);
	add_id(&b, "created_by", t->created_by);
	add_time(&b, "created_at", t->created_at);
	add_time(&b, "updated_at", t->updated_at);
	add_id(&b, "due_date", t->due_date);

	/* tags and priority are views of metadata for scripts' benefit. */
	add_key(&b, "tags");
	strbuf_addch(&b, '[');
	tags = cJSON_GetObjectItemCaseSensitive(meta, "tags");
	if (cJSON_IsArray(tags)) {
		cJSON_ArrayForEach(it, tags) {
			if (!cJSON_IsString(it))
				continue;
			if (!first)
				strbuf_addch(&b, ',');
			strbuf_add_json_str(&b, it->valuestring);
			first = false;
		}
	}
	strbuf_addch(&b, ']');
	prio = cJSON_GetObjectItemCaseSensitive(meta, "priority");
	add_nstr(&b, "priority", cJSON_IsString(prio) ? prio->valuestring :
	    NULL);
	add_object(&b, "metadata", meta);

	add_bool(&b, "deleted", t->deleted);
	add_bool(&b, "running", t->running);
	add_id(&b, "workspace_id", t->workspace_id);
	finish(sb, &b);
	cJSON_Delete(meta);
}

void
json_entry_encode(struct strbuf *sb, const struct entry *e, int at,
    int64_t now)
{
	struct strbuf b = STRBUF_INIT;
	bool running = e->end_time == -1;
	int64_t secs;

	secs = ((running ? now : e->end_time) - e->start_time) / 1000;
	if (secs < 0)
		secs = 0;	/* a clock that went back shows as nothing */

	strbuf_addch(&b, '{');
	add_str(&b, "id", e->id);
	if (at > 0)
		add_int(&b, "at", at);
	add_id(&b, "task_id", e->task_id);
	add_num(&b, "task_num", e->task_num);
	add_nstr(&b, "task_title", e->task_title);
	add_id(&b, "user_id", e->user_id);
	add_str(&b, "origin", e->manual ? "manual" : "timer");
	add_time(&b, "start_time", e->start_time);
	if (running)
		add_nstr(&b, "end_time", NULL);
	else
		add_time(&b, "end_time", e->end_time);
	add_bool(&b, "running", running);
	add_int(&b, "duration_seconds", secs);
	add_int(&b, "duration_minutes", secs / 60);
	add_str(&b, "notes", e->notes);
	add_id(&b, "end_src", e->end_src);
	add_id(&b, "workspace_id", e->workspace_id);
	finish(sb, &b);
}

void
json_comment_encode(struct strbuf *sb, const struct comment *c)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addch(&b, '{');
	add_str(&b, "id", c->id);
	add_id(&b, "task_id", c->task_id);
	add_id(&b, "author_id", c->author_id);
	add_nstr(&b, "author", c->author_name);
	add_str(&b, "body", c->body);
	add_time(&b, "created_at", c->created_at);
	finish(sb, &b);
}

void
json_op_encode(struct strbuf *sb, const struct outbox_op *op)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addch(&b, '{');
	add_str(&b, "op_id", op->op_id);
	add_int(&b, "seq", op->seq);
	add_str(&b, "scope", op->scope);
	add_str(&b, "entity", op->entity);
	add_str(&b, "entity_id", op->entity_id);
	add_str(&b, "kind", op->kind);
	add_object_text(&b, "fields", op->fields);
	if (op->base != NULL)
		add_object_text(&b, "base", op->base);
	add_str(&b, "hlc", op->hlc);
	finish(sb, &b);
}

/* ----- decoding: one helper per field type ----- */

static int
type_error(struct tock_err *err, const char *key, const char *what)
{
	return tock_err_set(err, TOCK_EINVAL, "field '%s' must be %s", key,
	    what);
}

/*
 * obj[key] in *out, or NULL when it is absent or null.  Optional fields
 * take null as "not given", so scripts may write what the encoders write.
 */
static int
member(const cJSON **out, const cJSON *obj, const char *key, int flags,
    const char *what, struct tock_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (it == NULL) {
		if (flags & F_REQ)
			return tock_err_set(err, TOCK_EINVAL,
			    "missing field '%s'", key);
		return 0;
	}
	if (cJSON_IsNull(it)) {
		if (flags & F_REQ)
			return type_error(err, key, what);
		return 0;
	}
	*out = it;
	return 0;
}

/* A string (borrowed from the tree) or NULL when absent. */
static int
get_str(const char **out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const cJSON *it;
	int rc;

	*out = NULL;
	if ((rc = member(&it, obj, key, flags, "a string", err)) != 0 ||
	    it == NULL)
		return rc;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return type_error(err, key, "a string");
	/* cJSON copies bytes as they come; the database wants UTF-8. */
	if (!text_utf8_valid(it->valuestring, strlen(it->valuestring)))
		return tock_err_set(err, TOCK_EINVAL,
		    "field '%s' is not valid UTF-8", key);
	*out = it->valuestring;
	return 0;
}

/* A malloc'd string; *out is left alone when the field is absent. */
static int
get_dup(char **out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const char *s;
	int rc;

	if ((rc = get_str(&s, obj, key, flags, err)) != 0 || s == NULL)
		return rc;
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* Like get_dup, with model_check_text's limit on the content. */
static int
get_text(char **out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const char *s;
	int rc;

	if ((rc = get_str(&s, obj, key, flags, err)) != 0 || s == NULL)
		return rc;
	if ((rc = model_check_text(key, s, TEXT_MAX, err)) != 0)
		return rc;
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* A UUID into out; out stays "" when the field is absent. */
static int
get_uuid(char out[UUID_STRLEN + 1], const cJSON *obj, const char *key,
    int flags, struct tock_err *err)
{
	const char *s;
	int rc;

	if ((rc = get_str(&s, obj, key, flags, err)) != 0 || s == NULL)
		return rc;
	if (!uuid_valid(s))
		return tock_err_set(err, TOCK_EINVAL,
		    "field '%s' must be a UUID", key);
	memcpy(out, s, UUID_STRLEN + 1);
	return 0;
}

/* A time into *out, left alone when the field is absent. */
static int
get_time(int64_t *out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const char *s;
	int rc;

	if ((rc = get_str(&s, obj, key, flags, err)) != 0 || s == NULL)
		return rc;
	if (!iso_utc_parse(out, s))
		return tock_err_set(err, TOCK_EINVAL,
		    "field '%s' must be a UTC time like "
		    "2026-11-25T09:30:00.000Z", key);
	return 0;
}

/* An integer in [min, max] into *out, left alone when absent. */
static int
get_int(int64_t *out, const cJSON *obj, const char *key, int flags,
    int64_t min, int64_t max, struct tock_err *err)
{
	const cJSON *it;
	double d;
	int rc;

	if ((rc = member(&it, obj, key, flags, "an integer", err)) != 0 ||
	    it == NULL)
		return rc;
	if (!cJSON_IsNumber(it))
		return type_error(err, key, "an integer");
	d = it->valuedouble;
	/* The range test comes first so the cast below is defined; NaN
	 * fails it too. */
	if (!(d >= (double)min && d <= (double)max))
		return tock_err_set(err, TOCK_EINVAL,
		    "field '%s' is out of range", key);
	if ((double)(int64_t)d != d)
		return type_error(err, key, "an integer");
	*out = (int64_t)d;
	return 0;
}

static int
get_bool(bool *out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const cJSON *it;
	int rc;

	if ((rc = member(&it, obj, key, flags, "true or false", err)) != 0 ||
	    it == NULL)
		return rc;
	if (!cJSON_IsBool(it))
		return type_error(err, key, "true or false");
	*out = cJSON_IsTrue(it);
	return 0;
}

/* An object as compact malloc'd text into *out, left alone when absent. */
static int
get_object_text(char **out, const cJSON *obj, const char *key, int flags,
    struct tock_err *err)
{
	const cJSON *it;
	int rc;

	if ((rc = member(&it, obj, key, flags, "an object", err)) != 0 ||
	    it == NULL)
		return rc;
	if (!cJSON_IsObject(it))
		return type_error(err, key, "an object");
	free(*out);
	*out = print_compact(it);
	return 0;
}

/* The index of s in a NULL-terminated list, or -1. */
static int
one_of(const char *s, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return i;
	return -1;
}

/* ----- decoders ----- */

int
json_task_decode(struct task **out, const char *json, size_t len,
    struct tock_err *err)
{
	cJSON *root = NULL;
	struct task *t;
	const char *s;
	int64_t n = 0;
	int y, m, d, rc;

	if ((rc = parse_object(&root, json, len, err)) != 0)
		return rc;
	t = xcalloc(1, sizeof *t);
	t->status = TASK_TODO;

	if ((rc = get_uuid(t->id, root, "id", F_REQ, err)) != 0 ||
	    (rc = get_int(&n, root, "num", 0, 0, INT_MAX, err)) != 0)
		goto fail;
	t->num = (int)n;
	if ((rc = get_str(&s, root, "title", F_REQ, err)) != 0 ||
	    (rc = model_check_title(s, err)) != 0)
		goto fail;
	t->title = xstrdup(s);
	if ((rc = get_text(&t->description, root, "description", 0,
	    err)) != 0)
		goto fail;
	if ((rc = get_str(&s, root, "status", 0, err)) != 0 ||
	    (s != NULL && (rc = task_status_parse(&t->status, s, err)) != 0))
		goto fail;
	if ((rc = get_uuid(t->assignee_id, root, "assignee_id", 0,
	    err)) != 0 ||
	    (rc = get_dup(&t->assignee_name, root, "assignee", 0, err)) != 0 ||
	    (rc = get_uuid(t->created_by, root, "created_by", 0, err)) != 0 ||
	    (rc = get_time(&t->created_at, root, "created_at", 0, err)) != 0 ||
	    (rc = get_time(&t->updated_at, root, "updated_at", 0, err)) != 0)
		goto fail;
	if ((rc = get_str(&s, root, "due_date", 0, err)) != 0)
		goto fail;
	if (s != NULL) {
		if (strlen(s) != 10 || !date_valid(s, &y, &m, &d)) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "field 'due_date' must be a date like 2026-11-25");
			goto fail;
		}
		memcpy(t->due_date, s, sizeof t->due_date);
	}
	/* "tags" and "priority" are read back through metadata, which the
	 * encoder writes them from. */
	if ((rc = get_object_text(&t->metadata, root, "metadata", 0,
	    err)) != 0 ||
	    (rc = get_bool(&t->deleted, root, "deleted", 0, err)) != 0 ||
	    (rc = get_bool(&t->running, root, "running", 0, err)) != 0 ||
	    (rc = get_uuid(t->workspace_id, root, "workspace_id", 0,
	    err)) != 0)
		goto fail;
	if (t->description == NULL)
		t->description = xstrdup("");
	if (t->metadata == NULL)
		t->metadata = xstrdup("{}");
	cJSON_Delete(root);
	*out = t;
	return 0;

fail:
	task_free(t);
	cJSON_Delete(root);
	return rc;
}

int
json_entry_decode(struct entry **out, const char *json, size_t len,
    struct tock_err *err)
{
	static const char *const origins[] = { "timer", "manual", NULL };
	static const char *const end_srcs[] = { "stop", "edit", "auto", NULL };
	cJSON *root = NULL;
	struct entry *e;
	const char *s;
	int64_t n = 0;
	int rc;

	if ((rc = parse_object(&root, json, len, err)) != 0)
		return rc;
	e = xcalloc(1, sizeof *e);
	e->end_time = -1;

	if ((rc = get_uuid(e->id, root, "id", F_REQ, err)) != 0 ||
	    (rc = get_uuid(e->task_id, root, "task_id", 0, err)) != 0 ||
	    (rc = get_int(&n, root, "task_num", 0, 0, INT_MAX, err)) != 0)
		goto fail;
	e->task_num = (int)n;
	if ((rc = get_dup(&e->task_title, root, "task_title", 0, err)) != 0 ||
	    (rc = get_uuid(e->user_id, root, "user_id", 0, err)) != 0 ||
	    (rc = get_str(&s, root, "origin", 0, err)) != 0)
		goto fail;
	if (s != NULL) {
		if (one_of(s, origins) < 0) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "field 'origin' must be timer or manual");
			goto fail;
		}
		e->manual = strcmp(s, "manual") == 0;
	}
	if ((rc = get_time(&e->start_time, root, "start_time", F_REQ,
	    err)) != 0 ||
	    (rc = get_time(&e->end_time, root, "end_time", 0, err)) != 0)
		goto fail;
	if (e->end_time != -1 && e->end_time < e->start_time) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'end_time' is before 'start_time'");
		goto fail;
	}
	/* running and the durations are derived from the times. */
	if ((rc = get_text(&e->notes, root, "notes", 0, err)) != 0 ||
	    (rc = get_str(&s, root, "end_src", 0, err)) != 0)
		goto fail;
	if (s != NULL && *s != '\0') {
		if (one_of(s, end_srcs) < 0) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "field 'end_src' must be stop, edit or auto");
			goto fail;
		}
		memcpy(e->end_src, s, strlen(s) + 1);
	}
	if ((rc = get_uuid(e->workspace_id, root, "workspace_id", 0,
	    err)) != 0)
		goto fail;
	if (e->notes == NULL)
		e->notes = xstrdup("");
	cJSON_Delete(root);
	*out = e;
	return 0;

fail:
	entry_free(e);
	cJSON_Delete(root);
	return rc;
}

int
json_comment_decode(struct comment **out, const char *json, size_t len,
    struct tock_err *err)
{
	cJSON *root = NULL;
	struct comment *c;
	int rc;

	if ((rc = parse_object(&root, json, len, err)) != 0)
		return rc;
	c = xcalloc(1, sizeof *c);

	if ((rc = get_uuid(c->id, root, "id", F_REQ, err)) != 0 ||
	    (rc = get_uuid(c->task_id, root, "task_id", F_REQ, err)) != 0 ||
	    (rc = get_uuid(c->author_id, root, "author_id", 0, err)) != 0 ||
	    (rc = get_dup(&c->author_name, root, "author", 0, err)) != 0 ||
	    (rc = get_text(&c->body, root, "body", F_REQ, err)) != 0 ||
	    (rc = get_time(&c->created_at, root, "created_at", 0, err)) != 0)
		goto fail;
	cJSON_Delete(root);
	*out = c;
	return 0;

fail:
	comment_free(c);
	cJSON_Delete(root);
	return rc;
}

/* ----- outbox ops ----- */

void
outbox_op_free(struct outbox_op *op)
{
	if (op == NULL)
		return;
	free(op->fields);
	free(op->base);
	free(op);
}

/* "%016x-%016x" in lower case, as hlc_format writes it. */
static bool
hlc_text_valid(const char *s)
{
	int i;

	for (i = 0; i < 33; i++) {
		if (i == 16) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[33] == '\0';
}

int
json_op_decode(struct outbox_op **out, const char *json, size_t len,
    struct tock_err *err)
{
	static const char *const entities[] = { "task", "time_entry",
	    "comment", "workspace", "membership", "user_state", NULL };
	static const char *const kinds[] = { "create", "set", "delete",
	    "restore", "timer.start", "timer.stop", NULL };
	cJSON *root = NULL;
	struct outbox_op *op;
	const char *s;
	int rc;

	if ((rc = parse_object(&root, json, len, err)) != 0)
		return rc;
	op = xcalloc(1, sizeof *op);

	if ((rc = get_uuid(op->op_id, root, "op_id", F_REQ, err)) != 0 ||
	    (rc = get_int(&op->seq, root, "seq", F_REQ, 0, JSON_MAX_SAFE_INT,
	    err)) != 0)
		goto fail;
	if ((rc = get_str(&s, root, "scope", F_REQ, err)) != 0)
		goto fail;
	if (!uuid_valid(s) && !(strncmp(s, "u:", 2) == 0 &&
	    uuid_valid(s + 2))) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'scope' must be a UUID or 'u:' and a UUID");
		goto fail;
	}
	memcpy(op->scope, s, strlen(s) + 1);
	if ((rc = get_str(&s, root, "entity", F_REQ, err)) != 0)
		goto fail;
	if (one_of(s, entities) < 0) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'entity' must be task, time_entry, comment, "
		    "workspace, membership or user_state");
		goto fail;
	}
	memcpy(op->entity, s, strlen(s) + 1);
	if ((rc = get_uuid(op->entity_id, root, "entity_id", F_REQ,
	    err)) != 0 ||
	    (rc = get_str(&s, root, "kind", F_REQ, err)) != 0)
		goto fail;
	if (one_of(s, kinds) < 0) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'kind' must be create, set, delete, restore, "
		    "timer.start or timer.stop");
		goto fail;
	}
	memcpy(op->kind, s, strlen(s) + 1);
	if ((rc = get_object_text(&op->fields, root, "fields", F_REQ,
	    err)) != 0 ||
	    (rc = get_object_text(&op->base, root, "base", 0, err)) != 0 ||
	    (rc = get_str(&s, root, "hlc", F_REQ, err)) != 0)
		goto fail;
	if (!hlc_text_valid(s)) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'hlc' must be a hybrid logical clock stamp");
		goto fail;
	}
	memcpy(op->hlc, s, strlen(s) + 1);
	cJSON_Delete(root);
	*out = op;
	return 0;

fail:
	outbox_op_free(op);
	cJSON_Delete(root);
	return rc;
}

/* ----- metadata helpers ----- */

char **
json_meta_tags(const char *metadata)
{
	cJSON *meta = parse_stored_object(metadata);
	const cJSON *tags, *it;
	char **v;
	size_t n = 0;

	tags = cJSON_GetObjectItemCaseSensitive(meta, "tags");
	if (!cJSON_IsArray(tags))
		tags = NULL;
	v = xcalloc((size_t)cJSON_GetArraySize(tags) + 1, sizeof *v);
	cJSON_ArrayForEach(it, tags) {
		if (cJSON_IsString(it))
			v[n++] = xstrdup(it->valuestring);
	}
	v[n] = NULL;
	cJSON_Delete(meta);
	return v;
}

void
json_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

char *
json_meta_string(const char *metadata, const char *key)
{
	cJSON *meta = parse_stored_object(metadata);
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(meta, key);
	char *s = NULL;

	if (cJSON_IsString(it))
		s = xstrdup(it->valuestring);
	cJSON_Delete(meta);
	return s;
}

char *
json_member(const char *obj, const char *key)
{
	cJSON *o = parse_stored_object(obj);
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s = NULL, *p;

	if (it != NULL && (p = cJSON_PrintUnformatted(it)) != NULL) {
		s = xstrdup(p);
		cJSON_free(p);
	}
	cJSON_Delete(o);
	return s;
}

static bool
strv_has(char *const *v, const char *s)
{
	if (v == NULL)
		return false;
	for (; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

char *
json_tags_edit(const char *metadata, char *const *add, char *const *del)
{
	struct strbuf b = STRBUF_INIT;
	char **cur = json_meta_tags(metadata);
	char **res;
	size_t n = 0, i, j, ncur, nadd = 0;

	for (ncur = 0; cur[ncur] != NULL; ncur++)
		;
	while (add != NULL && add[nadd] != NULL)
		nadd++;
	res = xcalloc(ncur + nadd + 1, sizeof *res);

	/* Old tags first, in their order, then the new ones: a tag list
	 * that reshuffles on every edit would make noisy sync ops. */
	for (i = 0; i < ncur; i++)
		if (!strv_has(res, cur[i]) && !strv_has(del, cur[i]))
			res[n++] = cur[i];
	for (j = 0; j < nadd; j++)
		if (!strv_has(res, add[j]) && !strv_has(del, add[j]))
			res[n++] = add[j];

	strbuf_addch(&b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(&b, ',');
		strbuf_add_json_str(&b, res[i]);
	}
	strbuf_addch(&b, ']');
	free(res);
	json_strv_free(cur);
	return strbuf_detach(&b, NULL);
}

int
json_validate(const char *text, size_t max, struct tock_err *err)
{
	cJSON *root;
	size_t len;
	int rc;

	if (text == NULL)
		return tock_err_set(err, TOCK_EINVAL, "empty JSON text");
	/* strnlen: no need to walk all of a huge text to refuse it. */
	len = strnlen(text, max < SIZE_MAX ? max + 1 : max);
	if (len > max)
		return tock_err_set(err, TOCK_ETOOBIG,
		    "JSON text is too big (more than %zu bytes)", max);
	if ((rc = parse_value(&root, text, len, err)) != 0)
		return rc;
	cJSON_Delete(root);
	return 0;
}
