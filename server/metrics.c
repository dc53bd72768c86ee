/* SPDX-License-Identifier: ISC */
/*
 * metrics.c - counters and histograms for /metrics (see metrics.h).
 * Routes are labelled by their pattern ("/api/v1/tasks/{id}"), never by
 * the concrete path, so the number of series stays fixed.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "route.h"
#include "strbuf.h"
#include "xmalloc.h"

static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS ((int)(sizeof bounds / sizeof bounds[0]))

struct counter {
	int route;	/* index into routes, or -1 */
	int status;
	long long n;
};

struct hist {
	long long bucket[NBOUNDS];	/* non-cumulative */
	long long count;
	double sum;
};

struct metrics {
	const struct route *routes;
	int nroutes;
	struct counter *c;
	int nc, allocc;
	struct hist *h;		/* nroutes + 1 (the last: unmatched) */
};

struct metrics *
metrics_new(const struct route *routes)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	m->routes = routes;
	while (routes[m->nroutes].pattern != NULL)
		m->nroutes++;
	m->h = xcalloc((size_t)m->nroutes + 1, sizeof *m->h);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->c);
	free(m->h);
	free(m);
}

void
metrics_observe(struct metrics *m, const struct route *route, int status,
    int64_t duration_us)
{
	int ri = route != NULL ? (int)(route - m->routes) : -1, i;
	double secs = (double)duration_us / 1e6;
	struct hist *h;

	if (ri < -1 || ri >= m->nroutes)
		ri = -1;
	for (i = 0; i < m->nc; i++)
		if (m->c[i].route == ri && m->c[i].status == status)
			break;
	if (i == m->nc) {
		if (m->nc == m->allocc) {
			m->allocc = m->allocc ? m->allocc * 2 : 32;
			m->c = xrealloc(m->c, (size_t)m->allocc * sizeof *m->c);
		}
		m->c[i].route = ri;
		m->c[i].status = status;
		m->c[i].n = 0;
		m->nc++;
	}
	m->c[i].n++;
	h = &m->h[ri >= 0 ? ri : m->nroutes];
	for (i = 0; i < NBOUNDS; i++)
		if (secs <= bounds[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += secs;
}

static void
labels(struct strbuf *out, const struct metrics *m, int ri)
{
	if (ri < 0)
		strbuf_addstr(out, "method=\"\",route=\"unmatched\"");
	else
		strbuf_addf(out, "method=\"%s\",route=\"%s\"",
		    http_method_name(m->routes[ri].method),
		    m->routes[ri].pattern);
}

void
metrics_render(struct metrics *m, struct strbuf *out,
    const struct metrics_gauges *g)
{
	long long cum;
	int i, j, ri;

	strbuf_addstr(out, "# HELP tock_http_requests_total HTTP requests "
	    "answered, by route and status.\n"
	    "# TYPE tock_http_requests_total counter\n");
	for (i = 0; i < m->nc; i++) {
		strbuf_addstr(out, "tock_http_requests_total{");
		labels(out, m, m->c[i].route);
		strbuf_addf(out, ",status=\"%d\"} %lld\n", m->c[i].status,
		    m->c[i].n);
	}
	strbuf_addstr(out, "# HELP tock_http_request_duration_seconds "
	    "Time from request to response written.\n"
	    "# TYPE tock_http_request_duration_seconds histogram\n");
	for (j = 0; j <= m->nroutes; j++) {
		ri = j < m->nroutes ? j : -1;
		if (m->h[j].count == 0)
			continue;
		cum = 0;
		for (i = 0; i < NBOUNDS; i++) {
			cum += m->h[j].bucket[i];
			strbuf_addstr(out,
			    "tock_http_request_duration_seconds_bucket{");
			labels(out, m, ri);
			strbuf_addf(out, ",le=\"%g\"} %lld\n", bounds[i], cum);
		}
		strbuf_addstr(out, "tock_http_request_duration_seconds_bucket{");
		labels(out, m, ri);
		strbuf_addf(out, ",le=\"+Inf\"} %lld\n", m->h[j].count);
		strbuf_addstr(out, "tock_http_request_duration_seconds_sum{");
		labels(out, m, ri);
		strbuf_addf(out, "} %.6f\n", m->h[j].sum);
		strbuf_addstr(out, "tock_http_request_duration_seconds_count{");
		labels(out, m, ri);
		strbuf_addf(out, "} %lld\n", m->h[j].count);
	}
	strbuf_addf(out,
	    "# HELP tock_http_requests_in_flight Requests being answered.\n"
	    "# TYPE tock_http_requests_in_flight gauge\n"
	    "tock_http_requests_in_flight %lld\n"
	    "# HELP tock_ws_connections Open WebSocket connections.\n"
	    "# TYPE tock_ws_connections gauge\n"
	    "tock_ws_connections %d\n"
	    "# HELP tock_db_pool_in_use Database connections running a "
	    "request.\n"
	    "# TYPE tock_db_pool_in_use gauge\n"
	    "tock_db_pool_in_use %d\n"
	    "# HELP tock_db_pool_connections Open database connections.\n"
	    "# TYPE tock_db_pool_connections gauge\n"
	    "tock_db_pool_connections %d\n"
	    "# HELP tock_db_pool_queued Requests waiting for a connection.\n"
	    "# TYPE tock_db_pool_queued gauge\n"
	    "tock_db_pool_queued %d\n"
	    "# HELP tock_sync_ops_applied_total Sync ops applied.\n"
	    "# TYPE tock_sync_ops_applied_total counter\n"
	    "tock_sync_ops_applied_total %lld\n",
	    g->inflight, g->ws_connections, g->pool_in_use,
	    g->pool_connections, g->pool_queued, g->sync_ops_applied);
}
