/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.c - token buckets in a chained hash table (see ratelimit.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "server.h"
#include "xmalloc.h"

#define RL_BUCKETS 4096

struct rl_entry {
	struct rl_entry *next;
	double tokens;
	int64_t last_ms;
	char key[];
};

struct ratelimit {
	struct rate_spec spec;
	struct rl_entry *slot[RL_BUCKETS];
	size_t count;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct ratelimit *
rl_new(const struct rate_spec *spec)
{
	struct ratelimit *rl = xcalloc(1, sizeof *rl);

	rl->spec = *spec;
	return rl;
}

void
rl_free(struct ratelimit *rl)
{
	struct rl_entry *e, *next;
	size_t i;

	if (rl == NULL)
		return;
	for (i = 0; i < RL_BUCKETS; i++)
		for (e = rl->slot[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(rl);
}

/* Tokens of e at now_ms, without taking any. */
static double
refilled(const struct ratelimit *rl, const struct rl_entry *e, int64_t now_ms)
{
	double t = e->tokens;

	if (now_ms > e->last_ms)
		t += (double)(now_ms - e->last_ms) / 1000.0 * rl->spec.per_sec;
	return t > rl->spec.burst ? rl->spec.burst : t;
}

int
rl_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	uint32_t h = hash(key) % RL_BUCKETS;
	struct rl_entry *e;
	size_t n;
	double wait;

	for (e = rl->slot[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL) {
		n = strlen(key);
		e = xmalloc(sizeof *e + n + 1);
		memcpy(e->key, key, n + 1);
		e->tokens = rl->spec.burst;
		e->last_ms = now_ms;
		e->next = rl->slot[h];
		rl->slot[h] = e;
		rl->count++;
	}
	e->tokens = refilled(rl, e, now_ms);
	if (now_ms > e->last_ms)
		e->last_ms = now_ms;
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return 0;
	}
	wait = ceil((1.0 - e->tokens) / rl->spec.per_sec);
	return wait < 1.0 ? 1 : wait > 86400.0 ? 86400 : (int)wait;
}

void
rl_sweep(struct ratelimit *rl, int64_t now_ms)
{
	struct rl_entry **pp, *e;
	size_t i;

	for (i = 0; i < RL_BUCKETS; i++) {
		pp = &rl->slot[i];
		while ((e = *pp) != NULL) {
			if (refilled(rl, e, now_ms) >= rl->spec.burst) {
				*pp = e->next;
				free(e);
				rl->count--;
			} else
				pp = &e->next;
		}
	}
}

size_t
rl_count(const struct ratelimit *rl)
{
	return rl->count;
}
