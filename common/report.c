/*
 * report.c - the aggregation behind tock report (see report.h).
 *
 * Time is gathered per bucket: a task (by task and by tag) or a user (by
 * user), in a small open-addressing hash keyed by id, and per local day in
 * a dense array made once by report_init.  Finding an entry's day is then
 * a binary search, with no time-zone arithmetic per entry: 100,000 entries
 * cost a few milliseconds whatever the range.  Tags are expanded from the
 * task buckets at the end, so each task's metadata is parsed once, not
 * once per entry.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "report.h"
#include "timeparse.h"
#include "xmalloc.h"

#define MS_PER_DAY (24 * 3600 * 1000LL)

/* A key's running total; turned into a struct report_group at the end. */
struct bucket {
	char *key;
	char *label;
	char *metadata;		/* by tag: the task's metadata, else NULL */
	int task_num;
	int64_t ms;
	bool running;
};

/* Buckets in order of creation, found by key through slots. */
struct bucketset {
	struct bucket *v;
	size_t n, alloc;
	size_t *slots;		/* index + 1; 0 = free; a power of two long */
	size_t nslots;
};

struct report_acc {
	struct bucketset set;
	size_t last_day;	/* where the previous entry started */
};

static const char *const by_names[] = { "task", "tag", "day", "user" };

int
report_by_parse(enum report_by *out, const char *s, struct tock_err *err)
{
	size_t i;

	for (i = 0; i < sizeof by_names / sizeof by_names[0]; i++) {
		if (strcmp(s, by_names[i]) == 0) {
			*out = (enum report_by)i;
			return 0;
		}
	}
	return tock_err_set(err, TOCK_EINVAL,
	    "cannot group by '%s': use task, tag, day or user", s);
}

const char *
report_by_name(enum report_by by)
{
	if ((size_t)by >= sizeof by_names / sizeof by_names[0])
		TOCK_BUG("bad report_by %d", (int)by);
	return by_names[by];
}

/* FNV-1a: short ids and tags, no adversary worth a keyed hash. */
static size_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void
set_grow(struct bucketset *bs)
{
	size_t i, j, n = bs->nslots ? bs->nslots * 2 : 64;

	free(bs->slots);
	bs->slots = xcalloc(n, sizeof *bs->slots);
	bs->nslots = n;
	for (i = 0; i < bs->n; i++) {
		j = hash_str(bs->v[i].key) & (n - 1);
		while (bs->slots[j] != 0)
			j = (j + 1) & (n - 1);
		bs->slots[j] = i + 1;
	}
}

/* The bucket of key, made (zeroed, key copied) if new; *made says so. */
static struct bucket *
set_get(struct bucketset *bs, const char *key, bool *made)
{
	size_t j;

	/* Keep the load under one half so probes stay short. */
	if (2 * (bs->n + 1) > bs->nslots)
		set_grow(bs);
	j = hash_str(key) & (bs->nslots - 1);
	while (bs->slots[j] != 0) {
		struct bucket *b = &bs->v[bs->slots[j] - 1];

		if (strcmp(b->key, key) == 0) {
			*made = false;
			return b;
		}
		j = (j + 1) & (bs->nslots - 1);
	}
	if (bs->n == bs->alloc) {
		bs->alloc = bs->alloc ? bs->alloc * 2 : 16;
		bs->v = xrealloc(bs->v, bs->alloc * sizeof *bs->v);
	}
	memset(&bs->v[bs->n], 0, sizeof bs->v[bs->n]);
	bs->v[bs->n].key = xstrdup(key);
	bs->slots[j] = ++bs->n;
	*made = true;
	return &bs->v[bs->n - 1];
}

/* Free the buckets' strings (those not handed over) and the set. */
static void
set_release(struct bucketset *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		free(bs->v[i].key);
		free(bs->v[i].label);
		free(bs->v[i].metadata);
	}
	free(bs->v);
	free(bs->slots);
	memset(bs, 0, sizeof *bs);
}

int
report_init(struct report *r, enum report_by by, int64_t since,
    int64_t until, int64_t now, struct tock_err *err)
{
	size_t alloc = 0;
	int64_t d, next;

	memset(r, 0, sizeof *r);
	r->by = by;
	r->since = since;
	r->until = until;
	r->now = now;
	r->acc = xcalloc(1, sizeof *r->acc);
	if (until <= since)
		return tock_err_set(err, TOCK_EINVAL,
		    "the end of the range must be after its start");
	if ((until - since) / MS_PER_DAY >= REPORT_MAX_DAYS)
		return tock_err_set(err, TOCK_ETOOBIG,
		    "cannot report on more than %d days at once",
		    REPORT_MAX_DAYS);
	/* A zone whose clocks skip midnight itself starts that day later:
	 * the range's first moment still needs a day. */
	if ((d = time_day_start(since)) > since)
		d = since;
	for (; d < until; d = next) {
		if (r->ndays == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			r->days = xrealloc(r->days, alloc * sizeof *r->days);
		}
		r->days[r->ndays].start = d;
		r->days[r->ndays].ms = 0;
		r->days[r->ndays].running = false;
		r->ndays++;
		next = time_day_next(d);
		if (next <= d)
			TOCK_BUG("day after %lld is not later", (long long)d);
	}
	r->days_end = d;
	return 0;
}

long
report_day_index(const struct report *r, int64_t ms)
{
	size_t lo = 0, hi = r->ndays;

	if (r->ndays == 0 || ms < r->days[0].start || ms >= r->days_end)
		return -1;
	/* The last day starting at or before ms. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->days[mid].start <= ms)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The bucket an entry's time goes to, or NULL by day (days only). */
static struct bucket *
bucket_of(struct report *r, const struct report_item *it)
{
	const char *key, *label;
	struct bucket *b;
	bool made;

	switch (r->by) {
	case REPORT_BY_TASK:
	case REPORT_BY_TAG:
		key = nonempty(it->task_id) ? it->task_id : "";
		b = set_get(&r->acc->set, key, &made);
		if (made) {
			label = nonempty(it->task_title);
			b->label = xstrdup(label ? label : key[0] ?
			    "(untitled)" : "(no task)");
			b->task_num = *key ? it->task_num : 0;
			if (r->by == REPORT_BY_TAG && *key &&
			    nonempty(it->metadata))
				b->metadata = xstrdup(it->metadata);
		}
		return b;
	case REPORT_BY_USER:
		key = nonempty(it->user_id) ? it->user_id : "";
		b = set_get(&r->acc->set, key, &made);
		if (made) {
			label = nonempty(it->user_name);
			b->label = xstrdup(label ? label : key[0] ? key :
			    "(unknown user)");
		}
		return b;
	case REPORT_BY_DAY:
		return NULL;
	}
	TOCK_BUG("bad report_by %d", (int)r->by);
}

/* The midnight that ends days[i]. */
static int64_t
day_end(const struct report *r, size_t i)
{
	return i + 1 < r->ndays ? r->days[i + 1].start : r->days_end;
}

/* report_day_index, trying the previous entry's day and the next first:
 * entries come roughly in time order, and most lie within one day. */
static long
day_find(struct report *r, int64_t ms)
{
	size_t i = r->acc->last_day;
	long found;

	if (i < r->ndays && r->days[i].start <= ms) {
		if (ms < day_end(r, i))
			return (long)i;
		if (i + 1 < r->ndays && ms < day_end(r, i + 1))
			return (long)(r->acc->last_day = i + 1);
	}
	if ((found = report_day_index(r, ms)) >= 0)
		r->acc->last_day = (size_t)found;
	return found;
}

void
report_add(struct report *r, const struct report_item *it)
{
	bool running = it->end < 0;
	int64_t s = it->start, e = running ? r->now : it->end, next;
	struct bucket *b;
	long i;

	if (s < r->since)
		s = r->since;
	if (e > r->until)
		e = r->until;
	if (e <= s)
		return;
	r->total_ms += e - s;
	r->nentries++;
	if ((b = bucket_of(r, it)) != NULL) {
		b->ms += e - s;
		b->running |= running;
	}
	if (running)
		r->running = true;
	/* Split at each local midnight: days[i] covers [start, next). */
	for (i = day_find(r, s); i >= 0 && s < e; i++) {
		next = day_end(r, (size_t)i);
		r->days[i].ms += (e < next ? e : next) - s;
		if (running && e <= next)
			r->days[i].running = true;
		s = next;
	}
}

static int
group_cmp(const void *a, const void *b)
{
	const struct report_group *x = a, *y = b;
	int c;

	if (x->ms != y->ms)
		return x->ms > y->ms ? -1 : 1;
	if ((c = strcmp(x->label, y->label)) != 0)
		return c;
	return strcmp(x->key, y->key);
}

/* Hand the buckets of bs over as the report's groups. */
static void
take_groups(struct report *r, struct bucketset *bs)
{
	size_t i;

	r->groups = xcalloc(bs->n ? bs->n : 1, sizeof *r->groups);
	for (i = 0; i < bs->n; i++) {
		struct report_group *g = &r->groups[r->ngroups++];

		g->key = bs->v[i].key;
		g->label = bs->v[i].label;
		g->task_num = bs->v[i].task_num;
		g->ms = bs->v[i].ms;
		g->running = bs->v[i].running;
		bs->v[i].key = bs->v[i].label = NULL;
	}
	qsort(r->groups, r->ngroups, sizeof *r->groups, group_cmp);
}

/* Tag totals from the task totals: each task's time to each of its tags. */
static void
tags_from_tasks(struct bucketset *tags, const struct bucketset *tasks)
{
	size_t i, j;
	char **v;
	struct bucket *b;
	bool made;

	for (i = 0; i < tasks->n; i++) {
		const struct bucket *t = &tasks->v[i];

		v = json_meta_tags(t->metadata ? t->metadata : "{}");
		if (v[0] == NULL) {
			b = set_get(tags, "", &made);
			if (made)
				b->label = xstrdup("(no tag)");
			b->ms += t->ms;
			b->running |= t->running;
		}
		for (j = 0; v[j] != NULL; j++) {
			/* A tag listed twice still counts the time once. */
			size_t k;

			for (k = 0; k < j && strcmp(v[k], v[j]) != 0; k++)
				;
			if (k < j)
				continue;
			b = set_get(tags, v[j], &made);
			if (made)
				b->label = xstrdup(v[j]);
			b->ms += t->ms;
			b->running |= t->running;
		}
		json_strv_free(v);
	}
}

void
report_finish(struct report *r)
{
	struct bucketset tags = { 0 };
	char key[16], label[32];
	size_t i, n = 0;

	if (r->groups != NULL)
		TOCK_BUG("report finished twice");
	switch (r->by) {
	case REPORT_BY_TASK:
	case REPORT_BY_USER:
		take_groups(r, &r->acc->set);
		break;
	case REPORT_BY_TAG:
		tags_from_tasks(&tags, &r->acc->set);
		take_groups(r, &tags);
		set_release(&tags);
		break;
	case REPORT_BY_DAY:
		for (i = 0; i < r->ndays; i++)
			n += r->days[i].ms > 0;
		r->groups = xcalloc(n ? n : 1, sizeof *r->groups);
		for (i = 0; i < r->ndays; i++) {
			struct report_group *g;

			if (r->days[i].ms == 0)
				continue;
			g = &r->groups[r->ngroups++];
			timefmt_local(key, sizeof key, r->days[i].start,
			    "%Y-%m-%d");
			timefmt_local(label, sizeof label, r->days[i].start,
			    "%a %Y-%m-%d");
			g->key = xstrdup(key);
			g->label = xstrdup(label);
			g->ms = r->days[i].ms;
			g->running = r->days[i].running;
		}
		break;
	}
}

void
report_release(struct report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ngroups; i++) {
		free(r->groups[i].key);
		free(r->groups[i].label);
	}
	free(r->groups);
	free(r->days);
	if (r->acc != NULL) {
		set_release(&r->acc->set);
		free(r->acc);
	}
	memset(r, 0, sizeof *r);
}
