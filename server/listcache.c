/* SPDX-License-Identifier: ISC */
/*
 * listcache.c - a bounded LRU of rendered task-list pages (listcache.h).
 */
#include <sys/queue.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listcache.h"
#include "strbuf.h"
#include "xmalloc.h"

#define NBUCKETS 1024
#define MAX_ENTRIES 4096
#define MAX_BYTES (8u << 20)
/* A page bigger than this is not worth a slot (25 long tasks). */
#define MAX_BODY (1u << 20)

struct entry {
	TAILQ_ENTRY(entry) lru;
	struct entry *next;	/* hash chain */
	uint32_t hash;
	size_t len;
	char *key;
	char *body;
};

TAILQ_HEAD(entry_list, entry);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *bucket[NBUCKETS];
static struct entry_list lru = TAILQ_HEAD_INITIALIZER(lru);
static size_t bytes;
static int entries;
static unsigned long long hits, misses;

static uint32_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t
entry_size(const struct entry *e)
{
	return sizeof *e + strlen(e->key) + 1 + e->len;
}

static struct entry **
find(const char *key, uint32_t h)
{
	struct entry **pp;

	for (pp = &bucket[h % NBUCKETS]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
			break;
	return pp;
}

/* Unlink *pp from its chain and the LRU, and free it.  Locked. */
static void
drop(struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->next;
	TAILQ_REMOVE(&lru, e, lru);
	bytes -= entry_size(e);
	entries--;
	free(e->key);
	free(e->body);
	free(e);
}

int
listcache_get(const char *key, struct strbuf *sb)
{
	uint32_t h = key_hash(key);
	struct entry *e;

	pthread_mutex_lock(&lock);
	e = *find(key, h);
	if (e == NULL) {
		misses++;
		pthread_mutex_unlock(&lock);
		return 0;
	}
	hits++;
	TAILQ_REMOVE(&lru, e, lru);
	TAILQ_INSERT_HEAD(&lru, e, lru);
	strbuf_reset(sb);
	strbuf_add(sb, e->body, e->len);
	pthread_mutex_unlock(&lock);
	return 1;
}

void
listcache_put(const char *key, const char *body, size_t len)
{
	uint32_t h = key_hash(key);
	struct entry **pp, *e;

	if (len > MAX_BODY)
		return;
	/* Allocate outside the lock. */
	e = xcalloc(1, sizeof *e);
	e->hash = h;
	e->key = xstrdup(key);
	e->len = len;
	e->body = xmalloc(len + 1);
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	pthread_mutex_lock(&lock);
	if (*(pp = find(key, h)) != NULL)
		drop(pp);
	while (entries > 0 && (entries >= MAX_ENTRIES ||
	    bytes + entry_size(e) > MAX_BYTES)) {
		struct entry *old = TAILQ_LAST(&lru, entry_list);

		drop(find(old->key, old->hash));
	}
	e->next = bucket[h % NBUCKETS];
	bucket[h % NBUCKETS] = e;
	TAILQ_INSERT_HEAD(&lru, e, lru);
	bytes += entry_size(e);
	entries++;
	pthread_mutex_unlock(&lock);
}

void
listcache_clear(void)
{
	struct entry *e;

	pthread_mutex_lock(&lock);
	while ((e = TAILQ_FIRST(&lru)) != NULL)
		drop(find(e->key, e->hash));
	pthread_mutex_unlock(&lock);
}

void
listcache_stats(unsigned long long *h, unsigned long long *m, size_t *b,
    int *n)
{
	pthread_mutex_lock(&lock);
	*h = hits;
	*m = misses;
	*b = bytes;
	*n = entries;
	pthread_mutex_unlock(&lock);
}
