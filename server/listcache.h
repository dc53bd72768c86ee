/* SPDX-License-Identifier: ISC */
/*
 * listcache.h - the task-list cache (DESIGN.md "Where this departs...":
 * it lives in the server process, keyed by the workspace's last_seq).
 *
 * An entry is a rendered JSON page under a key that names everything the
 * page depends on: the scope(s) with their last_seq as read in the same
 * snapshot as the page, the filters and the page number.  Every write to
 * a workspace's tasks moves its scope's last_seq on in the same
 * transaction (changelog.h), whichever server instance or sync push made
 * it, so a key can never name stale data: a reader reads last_seq from the
 * database first and looks up only that key.  Entries of older seqs are
 * never hit again and age out of the LRU.  Callers check membership before
 * they look up (the cache knows nothing of permissions).
 *
 * Bounded by bytes and entries (least recently used out first).  Every
 * function is thread-safe (one mutex; the work under it is a hash lookup
 * and a memcpy).
 */
#ifndef TOCK_LISTCACHE_H
#define TOCK_LISTCACHE_H

#include <stddef.h>

struct strbuf;

/* Copy the body cached under key into sb (replacing its contents):
 * 1 hit, 0 miss. */
int listcache_get(const char *key, struct strbuf *sb);
/* Cache body (len bytes) under key, replacing an older entry. */
void listcache_put(const char *key, const char *body, size_t len);
/* Drop everything (shutdown, tests). */
void listcache_clear(void);
/* Hits and misses so far, for /metrics. */
void listcache_stats(unsigned long long *hits, unsigned long long *misses,
    size_t *bytes, int *entries);

#endif
