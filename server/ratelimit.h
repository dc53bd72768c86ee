/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.h - token buckets keyed by a string (a user id or an IP).
 *
 * Each key has a bucket of spec.burst tokens refilled continuously at
 * spec.per_sec; a request takes one token.  Buckets are created full on
 * first use and dropped by rl_sweep() once they have refilled, so memory
 * follows the number of recently active keys.  The time is a parameter,
 * so tests need no clock.
 *
 * Not thread-safe: tock-server uses it only on the lws service thread.
 * Limits are per process; several serve processes each keep their own.
 */
#ifndef TOCK_RATELIMIT_H
#define TOCK_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct rate_spec;
struct ratelimit;

struct ratelimit *rl_new(const struct rate_spec *spec);
void rl_free(struct ratelimit *rl);
/* Take a token for key at now_ms: 0 if allowed, else the whole seconds
 * (at least 1) until a token will be there, for Retry-After. */
int rl_take(struct ratelimit *rl, const char *key, int64_t now_ms);
/* Forget buckets that are full again at now_ms. */
void rl_sweep(struct ratelimit *rl, int64_t now_ms);
size_t rl_count(const struct ratelimit *rl);

#endif
