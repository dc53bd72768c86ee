/*
 * import.c - tock import: the four input formats read into records, and
 * the records written to the replica (see import.h for what each format
 * maps to).
 *
 * This is the second file that includes <cJSON.h> (json.c is the first,
 * and owns tock's own shapes): it parses the foreign formats of
 * Timewarrior, Taskwarrior and Watson, which have no place in json.c.
 * cJSON trees never leave this file.
 *
 * Reading.  The input is walked once by a small scanner that only finds
 * where each record starts and ends (strings, brackets, line numbers);
 * each record is then parsed on its own.  So a malformed record is one
 * bad record, reported with its index and line, and the rest import.
 * Only input whose structure cannot be followed is refused as a whole,
 * before anything is written.
 *
 * Writing.  One transaction per IMPORT_BATCH records.  A batch first goes
 * in without savepoints (SQLite's savepoint journal would cost a fifth of
 * the time); if a record fails, the batch is rolled back and done again
 * with a savepoint per record, so the failing one leaves nothing behind
 * and the others still go in.  Lookups that would
 * repeat for every record (tasks by title, a task's workspace) are cached
 * for the run and dropped whenever a rolled-back record may have touched
 * them.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "db.h"
#include "db_import.h"
#include "err.h"
#include "import.h"
#include "json.h"
#include "model.h"
#include "strbuf.h"
#include "text.h"
#include "timeparse.h"
#include "uuid.h"
#include "xmalloc.h"

/* Metadata keys of one tock task, at most (far above any real use). */
#define META_KEYS_MAX 256
/* A Watson frame id or other source key, at most. */
#define SOURCE_ID_MAX 128
/* Latest time accepted: 9999-12-31T23:59:59Z. */
#define MAX_UNIX_SECS 253402300799LL
/* Journal annotations Taskwarrior writes with journal.time=on. */
#define TW_JOURNAL_START "Started task"
#define TW_JOURNAL_STOP "Stopped task"

static const char *const format_names[] = {
	[IMPORT_TIMEWARRIOR] = "timewarrior",
	[IMPORT_TASKWARRIOR] = "taskwarrior",
	[IMPORT_WATSON] = "watson",
	[IMPORT_TOCK] = "tock",
};

int
import_format_parse(enum import_format *out, const char *name,
    struct tock_err *err)
{
	size_t i;

	for (i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum import_format)i;
			return 0;
		}
	}
	return tock_err_set(err, TOCK_EINVAL, "unknown import format '%s' "
	    "(use timewarrior, taskwarrior, watson or tock)", name);
}

const char *
import_format_name(enum import_format f)
{
	if ((unsigned)f >= sizeof format_names / sizeof format_names[0])
		TOCK_BUG("bad import format %d", (int)f);
	return format_names[f];
}

/* ----- small helpers ----- */

static void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
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

static size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* Append a copy of s unless it is there; *v stays NULL-terminated. */
static void
strv_add(char ***v, const char *s)
{
	size_t n = strv_len(*v);

	if (strv_has(*v, s))
		return;
	*v = xrealloc(*v, (n + 2) * sizeof **v);
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

/* A JSON array of strings. */
static void
strv_json(struct strbuf *sb, char *const *v)
{
	size_t i;

	strbuf_addch(sb, '[');
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			strbuf_addch(sb, ',');
		strbuf_add_json_str(sb, v[i]);
	}
	strbuf_addch(sb, ']');
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * A foreign tag as a tock tag (model_check_tag): blanks, commas and
 * control characters become '-', leading '+' and '-' go, and it is cut to
 * TAG_MAX bytes on a character boundary.  NULL when nothing is left.  The
 * input is valid UTF-8.
 */
static char *
tag_from(const char *s)
{
	char *t, *p;
	size_t n;

	while (*s == '+' || *s == '-' || *s == ' ')
		s++;
	n = strlen(s);
	if (n > TAG_MAX) {
		n = TAG_MAX;
		/* Back off continuation bytes: never split a character. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	t = xstrndup(s, n);
	for (p = t; *p; p++)
		if (*p == ' ' || *p == ',' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			*p = '-';
	/* Trailing blanks turned into dashes say nothing. */
	while (n > 0 && t[n - 1] == '-' && s[n - 1] == ' ')
		t[--n] = '\0';
	if (t[0] == '\0' || model_check_tag(t, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* ----- a string map for the caches (open addressing) ----- */

struct smap_ent {
	char *key;
	void *val;
};

struct smap {
	struct smap_ent *tab;
	size_t cap;	/* 0 or a power of two */
	size_t n;
	void (*free_val)(void *);
};

static struct smap_ent *
smap_slot(const struct smap *m, const char *key)
{
	size_t i = (size_t)fnv1a(key) & (m->cap - 1);

	while (m->tab[i].key != NULL && strcmp(m->tab[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->tab[i];
}

static void *
smap_get(const struct smap *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	return smap_slot(m, key)->val;
}

static void
smap_grow(struct smap *m)
{
	struct smap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->tab = xcalloc(m->cap, sizeof *m->tab);
	for (i = 0; i < old.cap; i++)
		if (old.tab[i].key != NULL)
			*smap_slot(m, old.tab[i].key) = old.tab[i];
	free(old.tab);
}

/* Insert or replace key's value (the old value is freed). */
static void
smap_put(struct smap *m, const char *key, void *val)
{
	struct smap_ent *e;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	e = smap_slot(m, key);
	if (e->key == NULL) {
		e->key = xstrdup(key);
		m->n++;
	} else if (m->free_val != NULL)
		m->free_val(e->val);
	e->val = val;
}

static void
smap_clear(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->tab[i].key == NULL)
			continue;
		free(m->tab[i].key);
		if (m->free_val != NULL)
			m->free_val(m->tab[i].val);
	}
	free(m->tab);
	m->tab = NULL;
	m->cap = m->n = 0;
}

/* ----- times ----- */


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

/*
 * A UTC time as Timewarrior and Taskwarrior write it, "20240110T090000Z",
 * or in ISO 8601's extended form "2024-01-10T09:00:00Z".
 */
static bool
utc_parse(int64_t *out, const char *s)
{
	int y, mo, d, h, mi, sec;
	size_t len = strlen(s);
	struct tm tm;

	if (len == 16 && s[8] == 'T' && s[15] == 'Z') {
		y = digits(s, 4);
		mo = digits(s + 4, 2);
		d = digits(s + 6, 2);
		h = digits(s + 9, 2);
		mi = digits(s + 11, 2);
		sec = digits(s + 13, 2);
	} else if (len == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
	    s[13] == ':' && s[16] == ':' && s[19] == 'Z') {
		y = digits(s, 4);
		mo = digits(s + 5, 2);
		d = digits(s + 8, 2);
		h = digits(s + 11, 2);
		mi = digits(s + 14, 2);
		sec = digits(s + 17, 2);
	} else
		return false;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > time_days_in_month(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) * 1000;
	return true;
}

/* The canonical key form of a time: "20240110T090000Z". */
static char *
utc_key(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
	return xstrdup(buf);
}

/* ----- reading JSON values of a record ----- */

/* Put what before err's message.  The message cannot be an argument of
 * the tock_err_set that overwrites it, so it is copied first. */
static int
err_prefix(struct tock_err *err, int rc, const char *what)
{
	char msg[sizeof err->msg];

	if (err == NULL)
		return rc;
	memcpy(msg, err->msg, sizeof msg);
	return tock_err_set(err, rc, "%s: %s", what, msg);
}

static int
type_error(struct tock_err *err, const char *key, const char *what)
{
	return tock_err_set(err, TOCK_EINVAL, "field '%s' must be %s", key,
	    what);
}

/* A string member (borrowed), NULL when absent or null. */
static int
get_str(const char **out, const cJSON *obj, const char *key, bool required,
    struct tock_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (it == NULL || cJSON_IsNull(it)) {
		if (required)
			return tock_err_set(err, TOCK_EINVAL,
			    "missing field '%s'", key);
		return 0;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return type_error(err, key, "a string");
	if (!text_utf8_valid(it->valuestring, strlen(it->valuestring)))
		return tock_err_set(err, TOCK_EINVAL,
		    "field '%s' is not valid UTF-8", key);
	*out = it->valuestring;
	return 0;
}

/* A UTC time member into *out; *have tells whether it was there. */
static int
get_utc(int64_t *out, bool *have, const cJSON *obj, const char *key,
    bool required, struct tock_err *err)
{
	const char *s;
	int rc;

	*have = false;
	if ((rc = get_str(&s, obj, key, required, err)) != 0 || s == NULL)
		return rc;
	if (!utc_parse(out, s))
		return tock_err_set(err, TOCK_EINVAL, "field '%s' is not a "
		    "time like 20240110T090000Z: '%.40s'", key, s);
	*have = true;
	return 0;
}

/* An array of strings, as sanitized tags added to *tags. */
static int
get_tags(char ***tags, const cJSON *arr, const char *key,
    struct tock_err *err)
{
	const cJSON *it;

	if (arr == NULL || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return type_error(err, key, "an array of strings");
	cJSON_ArrayForEach(it, arr) {
		char *t;

		if (!cJSON_IsString(it) || it->valuestring == NULL)
			return type_error(err, key, "an array of strings");
		if (!text_utf8_valid(it->valuestring, strlen(it->valuestring)))
			return tock_err_set(err, TOCK_EINVAL,
			    "a tag in '%s' is not valid UTF-8", key);
		if ((t = tag_from(it->valuestring)) != NULL) {
			strv_add(tags, t);
			free(t);
		}
	}
	return 0;
}

/* A number of Unix seconds (Watson) as milliseconds. */
static int
get_unix(int64_t *out, const cJSON *it, const char *what,
    struct tock_err *err)
{
	double d;

	if (!cJSON_IsNumber(it))
		return tock_err_set(err, TOCK_EINVAL,
		    "%s must be a number of Unix seconds", what);
	d = it->valuedouble;
	/* The range test comes first so the cast is defined; NaN fails. */
	if (!(d >= 0 && d <= (double)MAX_UNIX_SECS))
		return tock_err_set(err, TOCK_EINVAL, "%s is out of range",
		    what);
	*out = (int64_t)floor(d * 1000.0);
	return 0;
}

/* Exactly one JSON value in p[0..n). */
static int
parse_elem(cJSON **out, const char *p, size_t n, struct tock_err *err)
{
	const char *end = p;
	cJSON *root;
	size_t off;

	root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	if (root == NULL) {
		off = end != NULL && end >= p ? (size_t)(end - p) : 0;
		return tock_err_set(err, TOCK_EINVAL,
		    "malformed JSON near byte %zu of the record", off + 1);
	}
	for (off = (size_t)(end - p); off < n; off++)
		if (p[off] != ' ' && p[off] != '\t' && p[off] != '\n' &&
		    p[off] != '\r')
			break;
	if (off < n) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL,
		    "unexpected text after the record's JSON value");
	}
	*out = root;
	return 0;
}

/* ----- building the set ----- */

static void
item_release(struct import_item *it)
{
	free(it->source_id);
	strv_free(it->tags);
	switch (it->kind) {
	case IMPORT_TASK:
		free(it->u.task.title);
		free(it->u.task.description);
		free(it->u.task.metadata);
		free(it->u.task.assignee_name);
		break;
	case IMPORT_ENTRY:
		free(it->u.entry.notes);
		free(it->u.entry.task_title);
		break;
	case IMPORT_COMMENT:
		free(it->u.comment.author_name);
		free(it->u.comment.body);
		break;
	case IMPORT_USER:
		free(it->u.user.name);
		free(it->u.user.email);
		break;
	}
}

void
import_set_free(struct import_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nitems; i++)
		item_release(&set->items[i]);
	for (i = 0; i < set->nrecs; i++)
		free(set->recs[i].error);
	free(set->items);
	free(set->recs);
	free(set);
}

/* A zeroed item at the end of the set.  The pointer is good until the
 * next new_item. */
static struct import_item *
new_item(struct import_set *set, enum import_kind kind)
{
	struct import_item *it;

	if (set->nitems == set->aitems) {
		set->aitems = set->aitems ? set->aitems * 2 : 256;
		set->items = xrealloc(set->items, set->aitems *
		    sizeof *set->items);
	}
	it = &set->items[set->nitems++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	return it;
}

struct parser;
typedef int elem_fn(struct parser *ps, struct import_record *rec,
    const char *p, size_t n, struct tock_err *err);

struct parser {
	struct import_set *set;
	const struct import_opts *opts;
	const char *list;	/* "record", "tasks", ... */
	bool brackets;		/* where: "list[i]", not "list i" */
	size_t count;		/* records of the list so far */
	elem_fn *elem;
};

/* One record: its items are made by ps->elem; on error they go and the
 * record keeps the message. */
static void
on_record(struct parser *ps, const char *p, size_t n, int line)
{
	struct import_set *set = ps->set;
	struct tock_err err = TOCK_ERR_INIT;
	struct import_record *rec;
	size_t i;

	if (set->nrecs == set->arecs) {
		set->arecs = set->arecs ? set->arecs * 2 : 256;
		set->recs = xrealloc(set->recs, set->arecs * sizeof *set->recs);
	}
	rec = &set->recs[set->nrecs++];
	memset(rec, 0, sizeof *rec);
	rec->index = ++ps->count;
	rec->line = line;
	if (ps->brackets)
		snprintf(rec->where, sizeof rec->where, "%s[%zu]", ps->list,
		    rec->index - 1);
	else
		snprintf(rec->where, sizeof rec->where, "%s %zu", ps->list,
		    rec->index);
	rec->first = set->nitems;
	if (ps->elem(ps, rec, p, n, &err) != 0) {
		for (i = rec->first; i < set->nitems; i++)
			item_release(&set->items[i]);
		set->nitems = rec->first;
		rec->error = xstrdup(err.msg[0] ? err.msg : "bad record");
	}
	rec->n = set->nitems - rec->first;
}

/* ----- the scanner: record boundaries and lines, nothing more ----- */

struct scan {
	const char *p;
	const char *end;
	int line;
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
scan_ws(struct scan *s)
{
	for (; s->p < s->end && is_ws(*s->p); s->p++)
		if (*s->p == '\n')
			s->line++;
}

/* At '"': past the closing quote; false at the end of input. */
static bool
scan_string(struct scan *s)
{
	for (s->p++; s->p < s->end; ) {
		char c = *s->p++;

		if (c == '"')
			return true;
		if (c == '\n')
			s->line++;
		else if (c == '\\' && s->p < s->end) {
			if (*s->p == '\n')
				s->line++;
			s->p++;
		}
	}
	return false;
}

/* Past one value, matching brackets (their kinds are the record parser's
 * business); false when it does not end. */
static bool
scan_value(struct scan *s)
{
	const char *start = s->p;
	size_t depth = 0;

	while (s->p < s->end) {
		char c = *s->p;

		if (c == '"') {
			if (!scan_string(s))
				return false;
			if (depth == 0)
				return true;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				break;
			if (--depth == 0) {
				s->p++;
				return true;
			}
		} else if (depth == 0 && (c == ',' || c == ':' || is_ws(c)))
			break;
		else if (c == '\n')
			s->line++;
		s->p++;
	}
	return depth == 0 && s->p > start;
}

/* At '[': every element to on_record. */
static int
scan_array(struct scan *s, struct parser *ps, struct tock_err *err)
{
	s->p++;
	for (;;) {
		const char *start;
		int line;

		scan_ws(s);
		if (s->p >= s->end)
			break;
		/* "]" here also forgives a trailing comma. */
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		start = s->p;
		line = s->line;
		if (!scan_value(s))
			return tock_err_set(err, TOCK_EINVAL,
			    "cannot find the end of %s %zu (line %d): the "
			    "JSON is cut short or its brackets do not match",
			    ps->list, ps->count + 1, line);
		on_record(ps, start, (size_t)(s->p - start), line);
		scan_ws(s);
		if (s->p >= s->end)
			break;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		return tock_err_set(err, TOCK_EINVAL, "expected ',' or ']' "
		    "after %s %zu (line %d)", ps->list, ps->count, s->line);
	}
	return tock_err_set(err, TOCK_EINVAL,
	    "the JSON array is not closed: the input is cut short");
}

/* One JSON object a line (older Taskwarrior, hand-made files). */
static void
scan_lines(struct scan *s, struct parser *ps)
{
	while (s->p < s->end) {
		const char *start = s->p, *nl, *e;

		nl = memchr(start, '\n', (size_t)(s->end - start));
		e = nl != NULL ? nl : s->end;
		s->p = nl != NULL ? nl + 1 : s->end;
		while (start < e && is_ws(*start))
			start++;
		while (e > start && is_ws(e[-1]))
			e--;
		if (e > start)
			on_record(ps, start, (size_t)(e - start), s->line);
		s->line++;
	}
}

/* ----- Timewarrior ----- */

static int
timew_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	const struct import_opts *o = ps->opts;
	struct import_item *it;
	cJSON *root = NULL;
	const cJSON *tags, *t;
	const char *title = NULL, *note, *chosen = NULL;
	char **rest = NULL;
	int64_t start, end = -1;
	bool have;
	size_t i;
	int rc;

	(void)rec;
	if ((rc = parse_elem(&root, p, n, err)) != 0)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "an interval must be a JSON object");
		goto out;
	}
	if ((rc = get_utc(&start, &have, root, "start", true, err)) != 0 ||
	    (rc = get_utc(&end, &have, root, "end", false, err)) != 0)
		goto out;
	if (!have)
		end = -1;
	else if (end < start) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "the interval ends before it starts");
		goto out;
	}
	if ((rc = get_str(&note, root, "annotation", false, err)) != 0 ||
	    (note != NULL && (rc = model_check_text("annotation", note,
	    TEXT_MAX, err)) != 0))
		goto out;
	tags = cJSON_GetObjectItemCaseSensitive(root, "tags");
	if (tags != NULL && !cJSON_IsNull(tags) && !cJSON_IsArray(tags)) {
		rc = type_error(err, "tags", "an array of strings");
		goto out;
	}
	/* The task: the first tag with a --map rule, else the first tag. */
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || t->valuestring == NULL) {
			rc = type_error(err, "tags", "an array of strings");
			goto out;
		}
		if (!text_utf8_valid(t->valuestring, strlen(t->valuestring))) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "a tag is not valid UTF-8");
			goto out;
		}
		for (i = 0; chosen == NULL && i < o->nmap; i++) {
			if (strcmp(o->map[i].tag, t->valuestring) == 0) {
				chosen = t->valuestring;
				title = o->map[i].title;
			}
		}
	}
	if (chosen == NULL && cJSON_GetArraySize(tags) > 0) {
		chosen = title = cJSON_GetArrayItem(tags, 0)->valuestring;
		if (model_check_title(title, err) != 0) {
			char what[96];

			snprintf(what, sizeof what, "tag '%.60s' cannot be a "
			    "task title", title);
			rc = err_prefix(err, TOCK_EINVAL, what);
			goto out;
		}
	}
	cJSON_ArrayForEach(t, tags) {
		char *tag;

		if (t->valuestring == chosen)
			continue;
		if ((tag = tag_from(t->valuestring)) != NULL) {
			strv_add(&rest, tag);
			free(tag);
		}
	}
	it = new_item(ps->set, IMPORT_ENTRY);
	it->source_id = utc_key(start);
	it->tags = rest;
	rest = NULL;
	it->u.entry.start_time = start;
	it->u.entry.end_time = end;
	it->u.entry.notes = xstrdup(note != NULL ? note : "");
	it->u.entry.task_title = title != NULL ? xstrdup(title) : NULL;
out:
	strv_free(rest);
	cJSON_Delete(root);
	return rc;
}

/* ----- Taskwarrior ----- */

/* A local calendar date of a UTC time: Taskwarrior keeps "due:friday"
 * as local midnight in UTC. */
static void
local_date(char out[11], int64_t ms)
{
	timefmt_local(out, 11, ms, "%Y-%m-%d");
}

static struct import_item *
tw_entry(struct import_set *set, const char *uuid, const char *what,
    int64_t start, int64_t end)
{
	struct import_item *it = new_item(set, IMPORT_ENTRY);
	char *key = utc_key(start);

	it->source_id = xasprintf("%s/%s/%s", uuid, what, key);
	free(key);
	memcpy(it->u.entry.task_id, uuid, UUID_STRLEN + 1);
	it->u.entry.start_time = start;
	it->u.entry.end_time = end;
	it->u.entry.notes = xstrdup("");
	return it;
}

static int
tw_annotations(struct parser *ps, const char *uuid, const cJSON *anns,
    struct tock_err *err)
{
	const cJSON *a;
	int64_t started = -1, when;
	size_t i = 0;
	bool have;
	int rc;

	if (anns == NULL || cJSON_IsNull(anns))
		return 0;
	if (!cJSON_IsArray(anns))
		return type_error(err, "annotations", "an array");
	cJSON_ArrayForEach(a, anns) {
		struct import_item *it;
		const char *desc;
		const char *p;

		i++;
		if (!cJSON_IsObject(a))
			return tock_err_set(err, TOCK_EINVAL,
			    "annotation %zu must be an object", i);
		if ((rc = get_utc(&when, &have, a, "entry", true, err)) != 0 ||
		    (rc = get_str(&desc, a, "description", true, err)) != 0) {
			char what[32];

			snprintf(what, sizeof what, "annotation %zu", i);
			return err_prefix(err, rc, what);
		}
		/* journal.time=on: start/stop notes are time, not talk. */
		if (strcmp(desc, TW_JOURNAL_START) == 0) {
			if (started < 0)
				started = when;
			continue;
		}
		if (strcmp(desc, TW_JOURNAL_STOP) == 0) {
			if (started >= 0 && when >= started)
				tw_entry(ps->set, uuid, "interval", started,
				    when);
			started = -1;
			continue;
		}
		for (p = desc; *p == ' ' || *p == '\t' || *p == '\n'; p++)
			;
		if (*p == '\0')
			continue;
		if ((rc = model_check_text("annotation", desc, TEXT_MAX,
		    err)) != 0)
			return rc;
		it = new_item(ps->set, IMPORT_COMMENT);
		/* Annotations have no id: their time and text make one. */
		{
			char *key = utc_key(when);

			it->source_id = xasprintf("%s/annotation/%s/%016llx",
			    uuid, key, (unsigned long long)fnv1a(desc));
			free(key);
		}
		memcpy(it->u.comment.task_id, uuid, UUID_STRLEN + 1);
		it->u.comment.body = xstrdup(desc);
		it->u.comment.created_at = when;
	}
	return 0;
}

static int
tw_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	struct import_item *it;
	struct strbuf meta = STRBUF_INIT;
	cJSON *root = NULL;
	const char *uuid_s, *desc, *status, *prio, *project;
	char uuid[UUID_STRLEN + 1], **tags = NULL, due[11] = "";
	int64_t entry = 0, modified = 0, due_ms, start, end;
	bool have_start, have_end, have, deleted = false;
	enum task_status st;
	size_t i;
	int rc;

	if ((rc = parse_elem(&root, p, n, err)) != 0)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "a task must be a JSON object");
		goto out;
	}
	if ((rc = get_str(&uuid_s, root, "uuid", true, err)) != 0)
		goto out;
	for (i = 0; i < UUID_STRLEN && uuid_s[i] != '\0'; i++)
		uuid[i] = (char)(uuid_s[i] >= 'A' && uuid_s[i] <= 'F' ?
		    uuid_s[i] - 'A' + 'a' : uuid_s[i]);
	uuid[i] = '\0';
	if (uuid_s[i] != '\0' || !uuid_valid(uuid)) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "field 'uuid' must be a UUID");
		goto out;
	}
	if ((rc = get_str(&status, root, "status", true, err)) != 0)
		goto out;
	if (strcmp(status, "recurring") == 0) {
		/* A template: its instances are the tasks. */
		rec->ignored = true;
		goto out;
	}
	if (strcmp(status, "pending") == 0 || strcmp(status, "waiting") == 0)
		st = TASK_TODO;
	else if (strcmp(status, "completed") == 0)
		st = TASK_DONE;
	else if (strcmp(status, "deleted") == 0) {
		st = TASK_TODO;
		deleted = true;
	} else {
		rc = tock_err_set(err, TOCK_EINVAL, "field 'status' must be "
		    "pending, waiting, completed, deleted or recurring");
		goto out;
	}
	if ((rc = get_str(&desc, root, "description", true, err)) != 0)
		goto out;
	if ((rc = model_check_title(desc, err)) != 0) {
		rc = err_prefix(err, rc, "description");
		goto out;
	}
	if ((rc = get_utc(&entry, &have, root, "entry", false, err)) != 0 ||
	    (rc = get_utc(&modified, &have, root, "modified", false,
	    err)) != 0 ||
	    (rc = get_utc(&due_ms, &have, root, "due", false, err)) != 0)
		goto out;
	if (have)
		local_date(due, due_ms);
	if ((rc = get_utc(&start, &have_start, root, "start", false,
	    err)) != 0 ||
	    (rc = get_utc(&end, &have_end, root, "end", false, err)) != 0)
		goto out;
	if (have_start && st == TASK_TODO && !deleted)
		st = TASK_IN_PROGRESS;
	if ((rc = get_str(&prio, root, "priority", false, err)) != 0 ||
	    (prio != NULL && (rc = model_check_text("priority", prio,
	    TAG_MAX, err)) != 0) ||
	    (rc = get_tags(&tags, cJSON_GetObjectItemCaseSensitive(root,
	    "tags"), "tags", err)) != 0 ||
	    (rc = get_str(&project, root, "project", false, err)) != 0)
		goto out;
	if (project != NULL) {
		char *t = tag_from(project);

		if (t != NULL)
			strv_add(&tags, t);
		free(t);
	}

	strbuf_addch(&meta, '{');
	if (prio != NULL && *prio != '\0') {
		strbuf_addstr(&meta, "\"priority\":");
		strbuf_add_json_str(&meta, prio);
	}
	if (tags != NULL) {
		strbuf_addstr(&meta, meta.len > 1 ? ",\"tags\":" : "\"tags\":");
		strv_json(&meta, tags);
	}
	strbuf_addch(&meta, '}');

	it = new_item(ps->set, IMPORT_TASK);
	it->source_id = xstrdup(uuid);
	memcpy(it->u.task.id, uuid, sizeof uuid);
	it->u.task.title = xstrdup(desc);
	it->u.task.description = xstrdup("");
	it->u.task.status = st;
	it->u.task.deleted = deleted;
	it->u.task.created_at = entry;
	it->u.task.updated_at = modified ? modified : entry;
	memcpy(it->u.task.due_date, due, sizeof due);
	it->u.task.metadata = strbuf_detach(&meta, NULL);

	/* Time: an active task runs now; one that was started and ended
	 * (kept by some versions and hooks) was worked on in between. */
	if (have_start && !have_end && st == TASK_IN_PROGRESS)
		tw_entry(ps->set, uuid, "start", start, -1)->soft = true;
	else if (have_start && have_end && end >= start)
		tw_entry(ps->set, uuid, "interval", start, end);
	rc = tw_annotations(ps, uuid, cJSON_GetObjectItemCaseSensitive(root,
	    "annotations"), err);
out:
	strbuf_release(&meta);
	strv_free(tags);
	cJSON_Delete(root);
	return rc;
}

/* ----- Watson ----- */

static int
watson_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	struct import_item *it;
	cJSON *root = NULL;
	const cJSON *project, *id;
	char **tags = NULL;
	int64_t start = 0, stop = 0;
	int rc;

	(void)rec;
	if ((rc = parse_elem(&root, p, n, err)) != 0)
		return rc;
	if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) < 4) {
		rc = tock_err_set(err, TOCK_EINVAL, "a frame must be an array "
		    "[start, stop, project, id, tags, updated_at]");
		goto out;
	}
	if ((rc = get_unix(&start, cJSON_GetArrayItem(root, 0), "start",
	    err)) != 0 ||
	    (rc = get_unix(&stop, cJSON_GetArrayItem(root, 1), "stop",
	    err)) != 0)
		goto out;
	if (stop < start) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "the frame stops before it starts");
		goto out;
	}
	project = cJSON_GetArrayItem(root, 2);
	id = cJSON_GetArrayItem(root, 3);
	if (!cJSON_IsString(project) || project->valuestring == NULL) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "the project must be a string");
		goto out;
	}
	if ((rc = model_check_title(project->valuestring, err)) != 0) {
		rc = err_prefix(err, rc, "project");
		goto out;
	}
	if (!cJSON_IsString(id) || id->valuestring == NULL ||
	    id->valuestring[0] == '\0' ||
	    strlen(id->valuestring) > SOURCE_ID_MAX ||
	    !text_utf8_valid(id->valuestring, strlen(id->valuestring))) {
		rc = tock_err_set(err, TOCK_EINVAL, "the frame id must be a "
		    "string of 1 to %d bytes", SOURCE_ID_MAX);
		goto out;
	}
	if (cJSON_GetArraySize(root) > 4 &&
	    (rc = get_tags(&tags, cJSON_GetArrayItem(root, 4), "tags",
	    err)) != 0)
		goto out;
	it = new_item(ps->set, IMPORT_ENTRY);
	it->source_id = xstrdup(id->valuestring);
	it->tags = tags;
	tags = NULL;
	it->u.entry.start_time = start;
	it->u.entry.end_time = stop;
	it->u.entry.notes = xstrdup("");
	it->u.entry.task_title = xstrdup(project->valuestring);
out:
	strv_free(tags);
	cJSON_Delete(root);
	return rc;
}

/* ----- tock's own export ----- */

/* The metadata of a task must split into valid per-key fields. */
static int
check_metadata(const char *metadata, struct tock_err *err)
{
	cJSON *root = NULL;
	const cJSON *it;
	int n = 0, rc = 0;

	if (parse_elem(&root, metadata, strlen(metadata), err) != 0 ||
	    !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL,
		    "field 'metadata' must be an object");
	}
	cJSON_ArrayForEach(it, root) {
		char *v;

		if (++n > META_KEYS_MAX) {
			rc = tock_err_set(err, TOCK_EINVAL, "field 'metadata' "
			    "has more than %d keys", META_KEYS_MAX);
			break;
		}
		if ((rc = model_check_meta_key(it->string, err)) != 0)
			break;
		v = cJSON_PrintUnformatted(it);
		if (v == NULL)
			TOCK_BUG("cJSON_PrintUnformatted failed");
		if (strlen(v) > META_VALUE_MAX)
			rc = tock_err_set(err, TOCK_EINVAL, "metadata key '%s' "
			    "is too long", it->string);
		cJSON_free(v);
		if (rc != 0)
			break;
	}
	cJSON_Delete(root);
	return rc;
}

static int
tock_user_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	struct import_item *it;
	cJSON *root = NULL;
	const char *id, *name, *email;
	int rc;

	(void)rec;
	if ((rc = parse_elem(&root, p, n, err)) != 0)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = tock_err_set(err, TOCK_EINVAL,
		    "a user must be a JSON object");
		goto out;
	}
	if ((rc = get_str(&id, root, "id", true, err)) != 0 ||
	    (rc = get_str(&name, root, "name", false, err)) != 0 ||
	    (rc = get_str(&email, root, "email", false, err)) != 0)
		goto out;
	if (!uuid_valid(id)) {
		rc = tock_err_set(err, TOCK_EINVAL, "field 'id' must be a UUID");
		goto out;
	}
	if ((name != NULL && (rc = model_check_text("name", name, TAG_MAX * 4,
	    err)) != 0) ||
	    (email != NULL && (rc = model_check_text("email", email,
	    TAG_MAX * 4, err)) != 0))
		goto out;
	it = new_item(ps->set, IMPORT_USER);
	memcpy(it->u.user.id, id, UUID_STRLEN + 1);
	it->u.user.name = xstrdup(name != NULL ? name : "");
	it->u.user.email = email != NULL ? xstrdup(email) : NULL;
out:
	cJSON_Delete(root);
	return rc;
}

static int
tock_task_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	struct import_item *it;
	struct task *t;
	int rc;

	(void)rec;
	if ((rc = json_task_decode(&t, p, n, err)) != 0)
		return rc;
	if ((rc = check_metadata(t->metadata, err)) != 0) {
		task_free(t);
		return rc;
	}
	it = new_item(ps->set, IMPORT_TASK);
	it->source_id = xstrdup(t->id);
	it->u.task = *t;
	free(t);
	/* Derived, never imported. */
	free(it->u.task.assignee_name);
	it->u.task.assignee_name = NULL;
	it->u.task.running = false;
	return 0;
}

static int
tock_entry_elem(struct parser *ps, struct import_record *rec, const char *p,
    size_t n, struct tock_err *err)
{
	struct import_item *it;
	struct entry *e;
	int rc;

	(void)rec;
	if ((rc = json_entry_decode(&e, p, n, err)) != 0)
		return rc;
	it = new_item(ps->set, IMPORT_ENTRY);
	it->source_id = xstrdup(e->id);
	it->u.entry = *e;
	free(e);
	/* The task is named by task_id; a title here would mean "find it
	 * by title". */
	free(it->u.entry.task_title);
	it->u.entry.task_title = NULL;
	return 0;
}

static int
tock_comment_elem(struct parser *ps, struct import_record *rec,
    const char *p, size_t n, struct tock_err *err)
{
	struct import_item *it;
	struct comment *c;
	int rc;

	(void)rec;
	if ((rc = json_comment_decode(&c, p, n, err)) != 0)
		return rc;
	it = new_item(ps->set, IMPORT_COMMENT);
	it->source_id = xstrdup(c->id);
	it->u.comment = *c;
	free(c);
	free(it->u.comment.author_name);
	it->u.comment.author_name = NULL;
	return 0;
}

/* A scalar member of the top-level object, parsed on its own. */
static int
tock_scalar(cJSON **out, const char *p, size_t n, const char *key,
    struct tock_err *err)
{
	if (parse_elem(out, p, n, err) != 0)
		return tock_err_set(err, TOCK_EINVAL,
		    "not a tock export: bad value of \"%s\"", key);
	return 0;
}

static int
tock_uuid_member(char out[UUID_STRLEN + 1], const char *p, size_t n,
    const char *key, struct tock_err *err)
{
	cJSON *v;
	int rc;

	if ((rc = tock_scalar(&v, p, n, key, err)) != 0)
		return rc;
	if (cJSON_IsString(v) && uuid_valid(v->valuestring))
		memcpy(out, v->valuestring, UUID_STRLEN + 1);
	else if (!cJSON_IsNull(v))
		rc = tock_err_set(err, TOCK_EINVAL,
		    "not a tock export: \"%s\" must be a UUID", key);
	cJSON_Delete(v);
	return rc;
}

static int
parse_tock(struct parser *ps, struct scan *s, struct tock_err *err)
{
	static const char *const lists[] = { "users", "tasks",
	    "time_entries", "comments" };
	static elem_fn *const fns[] = { tock_user_elem, tock_task_elem,
	    tock_entry_elem, tock_comment_elem };
	struct scan spans[4];
	bool have[4] = { false, false, false, false }, format = false;
	size_t i;
	int rc;

	if (s->p >= s->end || *s->p != '{')
		return tock_err_set(err, TOCK_EINVAL,
		    "not a tock export: expected a JSON object");
	s->p++;
	for (;;) {
		const char *key, *val;
		size_t klen;
		int line;
		cJSON *v;

		scan_ws(s);
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			break;
		}
		if (s->p >= s->end || *s->p != '"')
			return tock_err_set(err, TOCK_EINVAL, "not a tock "
			    "export: expected a key at line %d", s->line);
		key = s->p + 1;
		if (!scan_string(s))
			return tock_err_set(err, TOCK_EINVAL,
			    "the input is cut short");
		klen = (size_t)(s->p - key - 1);
		scan_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return tock_err_set(err, TOCK_EINVAL, "not a tock "
			    "export: expected ':' at line %d", s->line);
		s->p++;
		scan_ws(s);
		val = s->p;
		line = s->line;
		if (!scan_value(s))
			return tock_err_set(err, TOCK_EINVAL, "cannot find "
			    "the end of the value at line %d: the JSON is cut "
			    "short or its brackets do not match", line);
#define KEY_IS(k) (klen == strlen(k) && memcmp(key, k, klen) == 0)
		for (i = 0; i < 4; i++) {
			if (!KEY_IS(lists[i]))
				continue;
			if (*val != '[')
				return tock_err_set(err, TOCK_EINVAL,
				    "not a tock export: \"%s\" must be an "
				    "array", lists[i]);
			spans[i].p = val;
			spans[i].end = s->p;
			spans[i].line = line;
			have[i] = true;
		}
		if (KEY_IS("format")) {
			if ((rc = tock_scalar(&v, val, (size_t)(s->p - val),
			    "format", err)) != 0)
				return rc;
			format = cJSON_IsString(v) &&
			    strcmp(v->valuestring, "tock-export") == 0;
			cJSON_Delete(v);
			if (!format)
				return tock_err_set(err, TOCK_EINVAL, "not a "
				    "tock export: \"format\" is not "
				    "\"tock-export\"");
		} else if (KEY_IS("version")) {
			double d;

			if ((rc = tock_scalar(&v, val, (size_t)(s->p - val),
			    "version", err)) != 0)
				return rc;
			d = cJSON_IsNumber(v) ? v->valuedouble : -1;
			cJSON_Delete(v);
			if (d != 1)
				return tock_err_set(err, TOCK_EINVAL, "tock "
				    "export version %g is not one this tock "
				    "reads (1)", d);
		} else if (KEY_IS("user_id")) {
			if ((rc = tock_uuid_member(ps->set->user_id, val,
			    (size_t)(s->p - val), "user_id", err)) != 0)
				return rc;
		} else if (KEY_IS("workspace_id")) {
			if ((rc = tock_uuid_member(ps->set->workspace_id, val,
			    (size_t)(s->p - val), "workspace_id", err)) != 0)
				return rc;
		}
#undef KEY_IS
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			break;
		}
		return tock_err_set(err, TOCK_EINVAL, "not a tock export: "
		    "expected ',' or '}' at line %d", s->line);
	}
	if (!format)
		return tock_err_set(err, TOCK_EINVAL, "not a tock export: no "
		    "\"format\": \"tock-export\"");
	/* Tasks before the entries and comments that name them, whatever
	 * the order of the keys. */
	for (i = 0; i < 4; i++) {
		if (!have[i])
			continue;
		ps->list = lists[i];
		ps->brackets = true;
		ps->count = 0;
		ps->elem = fns[i];
		if ((rc = scan_array(&spans[i], ps, err)) != 0)
			return rc;
	}
	return 0;
}

int
import_parse(struct import_set **out, enum import_format f, const char *buf,
    size_t len, const struct import_opts *opts, struct tock_err *err)
{
	static elem_fn *const fns[] = {
		[IMPORT_TIMEWARRIOR] = timew_elem,
		[IMPORT_TASKWARRIOR] = tw_elem,
		[IMPORT_WATSON] = watson_elem,
		[IMPORT_TOCK] = NULL,
	};
	static const struct import_opts no_opts;
	struct import_set *set;
	struct parser ps;
	struct scan s;
	int rc;

	if (len > IMPORT_MAX_INPUT)
		return tock_err_set(err, TOCK_ETOOBIG, "the input is too big "
		    "(%zu bytes, at most %zu)", len, IMPORT_MAX_INPUT);
	set = xcalloc(1, sizeof *set);
	set->format = f;
	memset(&ps, 0, sizeof ps);
	ps.set = set;
	ps.opts = opts != NULL ? opts : &no_opts;
	ps.list = "record";
	ps.elem = fns[f];
	s.p = buf;
	s.end = buf + len;
	s.line = 1;
	/* A byte order mark from some editors. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s.p += 3;
	scan_ws(&s);
	if (s.p >= s.end) {
		/* Nothing at all: timew export of an empty database prints
		 * "[\n]", but an empty file is just as empty. */
		if (f == IMPORT_TOCK) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "not a tock export: the input is empty");
			goto fail;
		}
	} else if (f == IMPORT_TOCK) {
		if ((rc = parse_tock(&ps, &s, err)) != 0)
			goto fail;
	} else if (*s.p == '[') {
		if ((rc = scan_array(&s, &ps, err)) != 0)
			goto fail;
	} else if (*s.p == '{' && f != IMPORT_WATSON) {
		scan_lines(&s, &ps);
	} else {
		rc = tock_err_set(err, TOCK_EINVAL, "not a %s export: expected "
		    "a JSON array", import_format_name(f));
		goto fail;
	}
	scan_ws(&s);
	if (s.p < s.end) {
		rc = tock_err_set(err, TOCK_EINVAL, "unexpected text after "
		    "the export at line %d", s.line);
		goto fail;
	}
	*out = set;
	return 0;
fail:
	import_set_free(set);
	return rc;
}

/* ----- applying ----- */

struct tcache {
	char id[UUID_STRLEN + 1];
	char **tags;		/* NULL until read from metadata */
	char *metadata;
};

static void
tcache_free(void *p)
{
	struct tcache *tc = p;

	if (tc == NULL)
		return;
	strv_free(tc->tags);
	free(tc->metadata);
	free(tc);
}

struct applier {
	struct db *db;
	const struct import_set *set;
	const struct import_opts *opts;
	const char *source;
	char user[UUID_STRLEN + 1];
	char ws[UUID_STRLEN + 1];
	int64_t now;
	struct smap titles;	/* title -> struct tcache (this workspace) */
	bool titles_loaded;
	struct smap task_ws;	/* task id -> its workspace id */
	struct smap ws_known;	/* workspace id -> "y" or "n" */
	bool timer_known;
	bool timer_running;
	bool touched;		/* this record changed a cache */
	/* Rows made by the record being applied. */
	size_t n_tasks;
	size_t n_entries;
	size_t n_comments;
};

/* Database failures end the import; anything else is the record's. */
static bool
fatal(int rc)
{
	return rc == TOCK_EBUSY || rc == TOCK_EIO || rc == TOCK_ERR;
}

/* The replica that wrote a tock export is this one: its user and (when
 * unknown here) its workspace become ours. */
static const char *
map_user(const struct applier *a, const char *uid)
{
	if (uid[0] == '\0')
		return NULL;
	if (a->set->user_id[0] != '\0' && strcmp(uid, a->set->user_id) == 0)
		return a->user;
	return uid;
}

static int
workspace_for(struct applier *a, const char *want, char ws[UUID_STRLEN + 1],
    struct tock_err *err)
{
	const char *known;
	int rc;

	memcpy(ws, a->ws, UUID_STRLEN + 1);
	if (want[0] == '\0' || strcmp(want, a->ws) == 0)
		return 0;
	if ((known = smap_get(&a->ws_known, want)) == NULL) {
		rc = db_import_workspace_exists(a->db, want, err);
		if (rc != 0 && rc != TOCK_ENOTFOUND)
			return rc;
		known = rc == 0 ? "y" : "n";
		smap_put(&a->ws_known, want, (void *)known);
	}
	if (*known == 'y')
		memcpy(ws, want, UUID_STRLEN + 1);
	return 0;
}

static int
task_ws_of(struct applier *a, const char *id, char ws[UUID_STRLEN + 1],
    struct tock_err *err)
{
	const char *w = smap_get(&a->task_ws, id);
	int rc;

	if (w != NULL) {
		memcpy(ws, w, UUID_STRLEN + 1);
		return 0;
	}
	rc = db_import_exists(a->db, "task", id, ws, err);
	if (rc == TOCK_ENOTFOUND)
		return tock_err_set(err, rc, "no task '%s' in the input or "
		    "the database", id);
	if (rc != 0)
		return rc;
	smap_put(&a->task_ws, id, xstrdup(ws));
	return 0;
}

static int
timer_running(struct applier *a, bool *out, struct tock_err *err)
{
	struct entry *e = NULL;
	int rc;

	if (!a->timer_known) {
		rc = db_entry_running(a->db, &e, err);
		if (rc != 0 && rc != TOCK_ENOTRUNNING)
			return rc;
		entry_free(e);
		a->timer_running = rc == 0;
		a->timer_known = true;
	}
	*out = a->timer_running;
	return 0;
}

/* Metadata object text as "metadata.<key>" fields: names and compact
 * values, malloc'd. */
struct metaf {
	char name[80];
	char *val;
};

static int
meta_fields(const char *metadata, struct metaf **out, size_t *n,
    struct tock_err *err)
{
	cJSON *root = NULL;
	const cJSON *it;
	struct metaf *v;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (metadata == NULL || *metadata == '\0')
		return 0;
	if (parse_elem(&root, metadata, strlen(metadata), err) != 0 ||
	    !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EINVAL, "bad metadata");
	}
	v = xcalloc((size_t)cJSON_GetArraySize(root) + 1, sizeof *v);
	cJSON_ArrayForEach(it, root) {
		char *s;

		if (model_check_meta_key(it->string, err) != 0) {
			while (i > 0)
				free(v[--i].val);
			free(v);
			cJSON_Delete(root);
			return TOCK_EINVAL;
		}
		snprintf(v[i].name, sizeof v[i].name, "metadata.%s",
		    it->string);
		if ((s = cJSON_PrintUnformatted(it)) == NULL)
			TOCK_BUG("cJSON_PrintUnformatted failed");
		v[i++].val = xstrdup(s);
		cJSON_free(s);
	}
	cJSON_Delete(root);
	*out = v;
	*n = i;
	return 0;
}

static void
meta_fields_free(struct metaf *v, size_t n)
{
	while (n > 0)
		free(v[--n].val);
	free(v);
}

static int
apply_task(struct applier *a, const struct import_item *it,
    struct tock_err *err)
{
	const struct task *t = &it->u.task;
	struct fieldset fs = FIELDSET_INIT;
	struct metaf *meta = NULL;
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	const char *by, *assignee;
	size_t nmeta = 0, m = 0;
	int rc;

	rc = db_import_map_get(a->db, a->source, it->source_id, NULL, id, err);
	if (rc != TOCK_ENOTFOUND)
		return rc;
	rc = db_import_exists(a->db, "task", t->id, ws, err);
	if (rc == 0)
		return db_import_map_put(a->db, a->source, it->source_id,
		    "task", t->id, err);
	if (rc != TOCK_ENOTFOUND)
		return rc;
	if ((rc = workspace_for(a, t->workspace_id, ws, err)) != 0 ||
	    (rc = meta_fields(t->metadata, &meta, &nmeta, err)) != 0)
		return rc;
	by = map_user(a, t->created_by);
	assignee = map_user(a, t->assignee_id);
	fieldset_text(&fs, "workspace_id", ws);
	fieldset_text(&fs, "title", t->title);
	if (t->description != NULL && t->description[0] != '\0')
		fieldset_text(&fs, "description", t->description);
	fieldset_text(&fs, "status", task_status_name(t->status));
	if (assignee != NULL)
		fieldset_text(&fs, "assignee_id", assignee);
	fieldset_text(&fs, "created_by", by != NULL ? by : a->user);
	fieldset_int(&fs, "created_at", t->created_at ? t->created_at :
	    a->now);
	fieldset_int(&fs, "updated_at", t->updated_at ? t->updated_at :
	    t->created_at ? t->created_at : a->now);
	if (t->due_date[0] != '\0')
		fieldset_text(&fs, "due_date", t->due_date);
	/* As many metadata keys as fit go with the create; the rest follow
	 * in sets of their own. */
	for (; m < nmeta && fs.n < FIELDSET_MAX; m++)
		fieldset_json(&fs, meta[m].name, meta[m].val);
	if ((rc = db_change(a->db, "task", t->id, "create", &fs, err)) != 0)
		goto out;
	while (m < nmeta) {
		memset(&fs, 0, sizeof fs);
		for (; m < nmeta && fs.n < FIELDSET_MAX; m++)
			fieldset_json(&fs, meta[m].name, meta[m].val);
		if ((rc = db_change(a->db, "task", t->id, "set", &fs,
		    err)) != 0)
			goto out;
	}
	if (t->deleted) {
		memset(&fs, 0, sizeof fs);
		fieldset_bool(&fs, "deleted", true);
		if ((rc = db_change(a->db, "task", t->id, "delete", &fs,
		    err)) != 0)
			goto out;
	}
	if (t->num > 0 && !t->deleted && task_status_open(t->status) &&
	    (rc = db_import_task_set_num(a->db, t->id, t->num, err)) != 0)
		goto out;
	if ((rc = db_import_map_put(a->db, a->source, it->source_id, "task",
	    t->id, err)) != 0)
		goto out;
	smap_put(&a->task_ws, t->id, xstrdup(ws));
	a->touched = true;
	a->n_tasks++;
out:
	meta_fields_free(meta, nmeta);
	return rc;
}

static int
load_title(const char *title, const char *id, const char *metadata,
    void *arg)
{
	struct applier *a = arg;
	struct tcache *tc;

	/* The first is the best match (db_import_task_titles). */
	if (smap_get(&a->titles, title) != NULL)
		return 0;
	tc = xcalloc(1, sizeof *tc);
	snprintf(tc->id, sizeof tc->id, "%s", id);
	tc->metadata = xstrdup(metadata);
	smap_put(&a->titles, title, tc);
	return 0;
}

/* The task titled title in the current workspace, made if there is none,
 * with tags added to its tags. */
static int
title_task(struct applier *a, const char *title, char *const *tags,
    char id[UUID_STRLEN + 1], struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct strbuf json = STRBUF_INIT;
	struct tcache *tc;
	char **all = NULL;
	size_t i;
	bool grow = false;
	int rc;

	if (!a->titles_loaded) {
		if ((rc = db_import_task_titles(a->db, a->ws, load_title, a,
		    err)) != 0)
			return rc;
		a->titles_loaded = true;
	}
	if ((tc = smap_get(&a->titles, title)) == NULL) {
		tc = xcalloc(1, sizeof *tc);
		uuid_v7(tc->id, a->now);
		fieldset_text(&fs, "workspace_id", a->ws);
		fieldset_text(&fs, "title", title);
		fieldset_text(&fs, "status", "todo");
		fieldset_text(&fs, "created_by", a->user);
		fieldset_int(&fs, "created_at", a->now);
		fieldset_int(&fs, "updated_at", a->now);
		if (tags != NULL && tags[0] != NULL) {
			strv_json(&json, tags);
			fieldset_json(&fs, "metadata.tags", json.buf);
		}
		rc = db_change(a->db, "task", tc->id, "create", &fs, err);
		strbuf_release(&json);
		if (rc != 0) {
			tcache_free(tc);
			return rc;
		}
		for (i = 0; tags != NULL && tags[i] != NULL; i++)
			strv_add(&tc->tags, tags[i]);
		if (tc->tags == NULL)
			tc->tags = xcalloc(1, sizeof *tc->tags);
		smap_put(&a->titles, title, tc);
		a->touched = true;
		a->n_tasks++;
		memcpy(id, tc->id, UUID_STRLEN + 1);
		return 0;
	}
	memcpy(id, tc->id, UUID_STRLEN + 1);
	if (tags == NULL || tags[0] == NULL)
		return 0;
	if (tc->tags == NULL)
		tc->tags = json_meta_tags(tc->metadata);
	for (i = 0; tags[i] != NULL && !grow; i++)
		grow = !strv_has(tc->tags, tags[i]);
	if (!grow)
		return 0;
	/* Old tags first, in their order, then the new ones. */
	for (i = 0; tc->tags[i] != NULL; i++)
		strv_add(&all, tc->tags[i]);
	for (i = 0; tags[i] != NULL; i++)
		strv_add(&all, tags[i]);
	strv_json(&json, all);
	fieldset_json(&fs, "metadata.tags", json.buf);
	fieldset_int(&fs, "updated_at", a->now);
	rc = db_change(a->db, "task", tc->id, "set", &fs, err);
	strbuf_release(&json);
	if (rc != 0) {
		strv_free(all);
		return rc;
	}
	strv_free(tc->tags);
	tc->tags = all;
	a->touched = true;
	return 0;
}

/* An interval imported while it ran has ended since: stop its timer. */
static int
stop_if_running(struct applier *a, const char *id, int64_t end,
    struct tock_err *err)
{
	struct fieldset fs = FIELDSET_INIT;
	struct entry *cur = NULL;
	int rc;

	rc = db_entry_get(a->db, &cur, id, err);
	if (rc == TOCK_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (cur->end_time < 0 && !cur->deleted && end >= cur->start_time) {
		fieldset_int(&fs, "end_time", end);
		rc = db_change(a->db, "time_entry", id, "timer.stop", &fs, err);
		a->timer_known = false;
	}
	entry_free(cur);
	return rc;
}

static int
apply_entry(struct applier *a, const struct import_item *it,
    struct tock_err *err)
{
	const struct entry *e = &it->u.entry;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	char task_id[UUID_STRLEN + 1] = "";
	const char *user;
	bool running = e->end_time < 0, busy;
	int rc;

	rc = db_import_map_get(a->db, a->source, it->source_id, NULL, id, err);
	if (rc == 0 && !running && a->set->format == IMPORT_TIMEWARRIOR)
		return stop_if_running(a, id, e->end_time, err);
	if (rc != TOCK_ENOTFOUND)
		return rc;
	if (e->id[0] != '\0') {
		rc = db_import_exists(a->db, "time_entry", e->id, NULL, err);
		if (rc == 0)
			return db_import_map_put(a->db, a->source,
			    it->source_id, "time_entry", e->id, err);
		if (rc != TOCK_ENOTFOUND)
			return rc;
	}
	user = map_user(a, e->user_id);
	if (user != NULL && strcmp(user, a->user) != 0)
		return tock_err_set(err, TOCK_EINVAL, "the time entry is "
		    "another user's (%s): only your own time is imported",
		    user);
	if (e->task_id[0] != '\0') {
		memcpy(task_id, e->task_id, sizeof task_id);
		if ((rc = task_ws_of(a, task_id, ws, err)) != 0)
			return rc;
	} else if (e->task_title != NULL) {
		if ((rc = title_task(a, e->task_title, it->tags, task_id,
		    err)) != 0)
			return rc;
		memcpy(ws, a->ws, sizeof ws);
	} else if ((rc = workspace_for(a, e->workspace_id, ws, err)) != 0)
		return rc;
	if (running) {
		if ((rc = timer_running(a, &busy, err)) != 0)
			return rc;
		if (busy && it->soft)
			return 0;
		if (busy)
			return tock_err_set(err, TOCK_EINVAL, "it is still "
			    "running, and so is a timer here: stop that one "
			    "and import again");
		if (e->start_time > a->now + 60000)
			return tock_err_set(err, TOCK_EINVAL,
			    "a running entry cannot start in the future");
	}
	if (e->id[0] != '\0')
		memcpy(id, e->id, sizeof id);
	else
		uuid_v7(id, a->now);
	fieldset_text(&fs, "workspace_id", ws);
	fieldset_text(&fs, "user_id", a->user);
	if (task_id[0] != '\0')
		fieldset_text(&fs, "task_id", task_id);
	fieldset_text(&fs, "origin", running ? "timer" : "manual");
	fieldset_int(&fs, "start_time", e->start_time);
	if (!running)
		fieldset_int(&fs, "end_time", e->end_time);
	if (e->notes != NULL && e->notes[0] != '\0')
		fieldset_text(&fs, "notes", e->notes);
	if ((rc = db_change(a->db, "time_entry", id, running ? "timer.start" :
	    "create", &fs, err)) != 0)
		return rc;
	if (running) {
		a->timer_running = true;
		a->timer_known = true;
		a->touched = true;
	}
	/* Why a manual entry ended is kept (an edit); a timer's stop is not
	 * one, now that it is a manual entry. */
	if (!running && e->manual && e->end_src[0] != '\0' &&
	    (rc = db_import_entry_set_end_src(a->db, id, e->end_src,
	    err)) != 0)
		return rc;
	if ((rc = db_import_map_put(a->db, a->source, it->source_id,
	    "time_entry", id, err)) != 0)
		return rc;
	a->n_entries++;
	return 0;
}

static int
apply_comment(struct applier *a, const struct import_item *it,
    struct tock_err *err)
{
	const struct comment *c = &it->u.comment;
	struct fieldset fs = FIELDSET_INIT;
	char id[UUID_STRLEN + 1], ws[UUID_STRLEN + 1];
	const char *author;
	int rc;

	rc = db_import_map_get(a->db, a->source, it->source_id, NULL, id, err);
	if (rc != TOCK_ENOTFOUND)
		return rc;
	if (c->id[0] != '\0') {
		rc = db_import_exists(a->db, "comment", c->id, NULL, err);
		if (rc == 0)
			return db_import_map_put(a->db, a->source,
			    it->source_id, "comment", c->id, err);
		if (rc != TOCK_ENOTFOUND)
			return rc;
	}
	author = map_user(a, c->author_id);
	if (author != NULL && strcmp(author, a->user) != 0)
		return tock_err_set(err, TOCK_EINVAL, "the comment is another "
		    "user's (%s): only your own comments are imported", author);
	if ((rc = task_ws_of(a, c->task_id, ws, err)) != 0)
		return rc;
	if (c->id[0] != '\0')
		memcpy(id, c->id, sizeof id);
	else
		uuid_v7(id, a->now);
	fieldset_text(&fs, "workspace_id", ws);
	fieldset_text(&fs, "task_id", c->task_id);
	fieldset_text(&fs, "author_id", a->user);
	fieldset_text(&fs, "body", c->body);
	fieldset_int(&fs, "created_at", c->created_at ? c->created_at :
	    a->now);
	if ((rc = db_change(a->db, "comment", id, "create", &fs, err)) != 0 ||
	    (rc = db_import_map_put(a->db, a->source, it->source_id,
	    "comment", id, err)) != 0)
		return rc;
	a->n_comments++;
	return 0;
}

static int
apply_user(struct applier *a, const struct import_item *it,
    struct tock_err *err)
{
	const char *id = it->u.user.id;

	/* The exporting user is this replica's user, named already. */
	if (strcmp(map_user(a, id), a->user) == 0)
		return 0;
	return db_import_user_add(a->db, id, it->u.user.name,
	    it->u.user.email, err);
}

static void
caches_reset(struct applier *a)
{
	smap_clear(&a->titles);
	smap_clear(&a->task_ws);
	a->titles_loaded = false;
	a->timer_known = false;
}

static void
report(const struct applier *a, const struct import_record *rec,
    const char *msg)
{
	if (a->opts->bad != NULL)
		a->opts->bad(rec->index, rec->line, rec->where, msg,
		    a->opts->arg);
}

/* The items of one record, in order; the first failure stops them. */
static int
apply_items(struct applier *a, const struct import_record *rec,
    struct tock_err *err)
{
	const struct import_item *it;
	size_t i;
	int rc = 0;

	a->n_tasks = a->n_entries = a->n_comments = 0;
	a->touched = false;
	for (i = 0; i < rec->n && rc == 0; i++) {
		it = &a->set->items[rec->first + i];
		switch (it->kind) {
		case IMPORT_TASK:
			rc = apply_task(a, it, err);
			break;
		case IMPORT_ENTRY:
			rc = apply_entry(a, it, err);
			break;
		case IMPORT_COMMENT:
			rc = apply_comment(a, it, err);
			break;
		case IMPORT_USER:
			rc = apply_user(a, it, err);
			break;
		}
	}
	return rc;
}

static void
count_record(const struct applier *a, const struct import_record *rec,
    struct import_stats *st)
{
	st->tasks += a->n_tasks;
	st->entries += a->n_entries;
	st->comments += a->n_comments;
	if (a->n_tasks + a->n_entries + a->n_comments == 0 && rec->n > 0 &&
	    a->set->items[rec->first].kind != IMPORT_USER)
		st->already++;
}

/* A record on its own savepoint: if it fails, it leaves nothing and is
 * reported; the batch goes on.  Only database failures are returned. */
static int
apply_record(struct applier *a, const struct import_record *rec,
    struct import_stats *st, struct tock_err *err)
{
	struct tock_err rerr = TOCK_ERR_INIT;
	int rc;

	if (rec->ignored) {
		st->ignored++;
		return 0;
	}
	if (rec->error != NULL) {
		report(a, rec, rec->error);
		st->bad++;
		return 0;
	}
	if ((rc = db_import_savepoint(a->db, err)) != 0)
		return rc;
	if ((rc = apply_items(a, rec, &rerr)) == 0 &&
	    (rc = db_import_release(a->db, &rerr)) == 0) {
		count_record(a, rec, st);
		return 0;
	}
	db_import_rollback_to(a->db);
	if (a->touched)
		caches_reset(a);
	if (fatal(rc)) {
		if (err != NULL)
			*err = rerr;
		return rc;
	}
	report(a, rec, rerr.msg[0] ? rerr.msg : "cannot import it");
	st->bad++;
	return 0;
}

/*
 * A batch without savepoints: SQLite's savepoint journal costs a fifth of
 * an import, and records rarely fail once parsed.  Returns 1 (nothing
 * reported) when a record failed: the caller rolls the batch back and
 * does it again record by record.
 */
static int
apply_fast(struct applier *a, size_t from, size_t to,
    struct import_stats *st, struct tock_err *err)
{
	const struct import_record *rec;
	size_t i;
	int rc;

	for (i = from; i < to; i++) {
		rec = &a->set->recs[i];
		if (rec->ignored) {
			st->ignored++;
			continue;
		}
		if (rec->error != NULL) {
			st->bad++;
			continue;
		}
		if ((rc = apply_items(a, rec, err)) != 0)
			return fatal(rc) ? rc : 1;
		count_record(a, rec, st);
	}
	/* All went in: now the records the parser refused are told. */
	for (i = from; i < to; i++) {
		rec = &a->set->recs[i];
		if (rec->error != NULL)
			report(a, rec, rec->error);
	}
	return 0;
}

static int
apply_careful(struct applier *a, size_t from, size_t to,
    struct import_stats *st, struct tock_err *err)
{
	size_t i;
	int rc;

	for (i = from; i < to; i++)
		if ((rc = apply_record(a, &a->set->recs[i], st, err)) != 0)
			return rc;
	return 0;
}

static void
stats_add(struct import_stats *to, const struct import_stats *from)
{
	to->tasks += from->tasks;
	to->entries += from->entries;
	to->comments += from->comments;
	to->bad += from->bad;
	to->already += from->already;
	to->ignored += from->ignored;
}

int
import_apply(struct db *db, const struct import_set *set,
    const struct import_opts *opts, struct import_stats *st,
    struct tock_err *err)
{
	static const struct import_opts no_opts;
	struct import_stats bst;
	struct applier a;
	size_t batch, i = 0, end;
	bool in_tx = false;
	int rc = 0;

	if (opts == NULL)
		opts = &no_opts;
	memset(st, 0, sizeof *st);
	st->records = set->nrecs;
	memset(&a, 0, sizeof a);
	a.db = db;
	a.set = set;
	a.opts = opts;
	a.source = import_format_name(set->format);
	a.titles.free_val = tcache_free;
	a.task_ws.free_val = free;
	snprintf(a.user, sizeof a.user, "%s", db_user_id(db));
	snprintf(a.ws, sizeof a.ws, "%s", db_workspace_id(db));
	batch = opts->batch > 0 ? opts->batch : IMPORT_BATCH;
	while (i < set->nrecs) {
		if (!in_tx) {
			if ((rc = db_begin(db, err)) != 0)
				goto out;
			in_tx = true;
		}
		a.now = db_now(db);
		memset(&bst, 0, sizeof bst);
		end = set->nrecs - i < batch ? set->nrecs : i + batch;
		/* A dry run keeps one transaction for all batches, so it
		 * cannot roll one back: it goes record by record. */
		rc = opts->dry_run ? 1 : apply_fast(&a, i, end, &bst, err);
		if (rc == 1 && !opts->dry_run) {
			db_rollback(db);
			in_tx = false;
			caches_reset(&a);
			if ((rc = db_begin(db, err)) != 0)
				goto out;
			in_tx = true;
			memset(&bst, 0, sizeof bst);
			rc = 1;
		}
		if (rc == 1)
			rc = apply_careful(&a, i, end, &bst, err);
		if (rc != 0)
			goto out;
		i = end;
		/* A dry run rolls back at the end, so later batches see what
		 * earlier ones would have made. */
		if (!opts->dry_run) {
			in_tx = false;
			if ((rc = db_commit(db, err)) != 0) {
				caches_reset(&a);
				goto out;
			}
		}
		stats_add(st, &bst);
		if (opts->progress != NULL)
			opts->progress(i, set->nrecs, opts->arg);
	}
out:
	if (in_tx)
		db_rollback(db);
	smap_clear(&a.titles);
	smap_clear(&a.task_ws);
	smap_clear(&a.ws_known);
	return rc;
}
