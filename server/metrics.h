/* SPDX-License-Identifier: ISC */
/*
 * metrics.h - request counters and latency histograms, rendered as
 * Prometheus text for GET /metrics.
 *
 * Not thread-safe: only the lws service thread observes and renders (it
 * sees every request end), so no lock is needed.
 */
#ifndef TOCK_METRICS_H
#define TOCK_METRICS_H

#include <stdint.h>

struct route;
struct strbuf;
struct metrics;

/* Gauges taken from elsewhere at render time. */
struct metrics_gauges {
	int pool_in_use;
	int pool_connections;
	int pool_queued;
	int ws_connections;
	long long sync_ops_applied;
	long long inflight;
};

/* routes: the table (ended by a NULL pattern), kept by reference. */
struct metrics *metrics_new(const struct route *routes);
void metrics_free(struct metrics *m);
/* One finished request; route NULL when none matched. */
void metrics_observe(struct metrics *m, const struct route *route,
    int status, int64_t duration_us);
void metrics_render(struct metrics *m, struct strbuf *out,
    const struct metrics_gauges *g);

#endif
