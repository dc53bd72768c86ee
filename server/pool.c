/* SPDX-License-Identifier: ISC */
/*
 * pool.c - database worker threads and their job queues (see pool.h).
 * One mutex guards both queues and the counters; handlers run without it.
 */
#include <sys/queue.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "pg.h"
#include "pool.h"
#include "route.h"
#include "server.h"
#include "xmalloc.h"

#define IDLE_EXIT_SECS 60
/* Group commit: at most BATCH_RUNNERS workers run batchable jobs at once
 * (one commits while the next gathers what queued meanwhile), each taking
 * up to BATCH_MAX of them, and no more than BATCH_BYTES of bodies beyond
 * the first (pg_pipeline wants small pipelines). */
#define BATCH_RUNNERS 2
#define BATCH_MAX 64
#define BATCH_BYTES 32768

/* Workers are joinable and joined (reap) once they are done, so their
 * thread-local state (OpenSSL's, libpq's) is gone before pool_free
 * returns. */
struct worker {
	TAILQ_ENTRY(worker) link;
	struct pool *pool;
	pthread_t tid;
	bool exited;
};

struct pool {
	struct pool_config cfg;
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a job was queued, or stopping */
	pthread_cond_t gone;	/* a worker exited */
	TAILQ_HEAD(, job) queue;
	TAILQ_HEAD(, job) done;
	TAILQ_HEAD(, worker) workers;
	int threads;
	int idle;
	int busy;
	int queued;
	int conns;
	int batching;	/* workers running a batch */
	unsigned gen;	/* bumped when a connection is found broken */
	bool stopping;
};

static void *worker_main(void *arg);

/* Start one worker; called with the lock held. */
static void
spawn(struct pool *p)
{
	struct worker *w = xcalloc(1, sizeof *w);
	int rc;

	w->pool = p;
	rc = pthread_create(&w->tid, NULL, worker_main, w);
	if (rc != 0) {
		log_warnx("cannot start a database worker: %s", strerror(rc));
		free(w);
		return;
	}
	TAILQ_INSERT_TAIL(&p->workers, w, link);
	p->threads++;
}

/* Join the workers that have finished; called with the lock held (an
 * exited worker needs it no more). */
static void
reap(struct pool *p)
{
	struct worker *w, *next;

	for (w = TAILQ_FIRST(&p->workers); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (!w->exited)
			continue;
		pthread_join(w->tid, NULL);
		TAILQ_REMOVE(&p->workers, w, link);
		free(w);
	}
}

/*
 * A worker's connection, and the pool generation it was opened in.  When
 * one worker finds its connection broken (PostgreSQL restarted), the
 * others' are most likely broken too: the generation moves on, and each
 * worker reconnects before its next job instead of failing one request to
 * find out.
 */
struct wconn {
	struct pg *pg;
	unsigned gen;
};

static void drop_conn(struct pool *p, struct wconn *c);

/* Open the worker's connection if it has none, or if it dates from
 * before a connection was found broken; 0 when it has one. */
static int
ensure_conn(struct pool *p, struct wconn *c)
{
	struct tock_err err = TOCK_ERR_INIT;
	unsigned gen;

	pthread_mutex_lock(&p->lock);
	gen = p->gen;
	pthread_mutex_unlock(&p->lock);
	if (c->pg != NULL && c->gen != gen)
		drop_conn(p, c);
	if (c->pg != NULL)
		return 0;
	c->gen = gen;
	if (pg_connect(&c->pg, p->conninfo, &err) != 0) {
		c->pg = NULL;
		log_warnx("%s", err.msg);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	p->conns++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void
drop_conn(struct pool *p, struct wconn *c)
{
	pg_close(c->pg);
	c->pg = NULL;
	pthread_mutex_lock(&p->lock);
	p->conns--;
	pthread_mutex_unlock(&p->lock);
}

/* After a job: keep the connection, or close it; a broken one (not merely
 * left in a transaction) moves the generation on for every worker. */
static void
recycle(struct pool *p, struct wconn *c)
{
	if (pg_recycle(c->pg) == 0)
		return;
	log_warnx("closing a database connection that cannot be reused");
	if (!pg_alive(c->pg)) {
		pthread_mutex_lock(&p->lock);
		if (c->gen == p->gen)
			p->gen++;
		pthread_mutex_unlock(&p->lock);
	}
	drop_conn(p, c);
}

/* Is job too old to run?  Then it is answered 503 here. */
static bool
stale(struct pool *p, struct job *job)
{
	if (mono_us() - job->queued_us <= (int64_t)p->cfg.job_timeout * 1000000)
		return false;
	resp_error(&job->rs, 503, "busy", "the server is busy; retry later");
	job->rs.retry_after = 1;
	return true;
}

static void
run_job(struct pool *p, struct wconn *c, struct job *job)
{
	struct resp *rs = &job->rs;

	if (stale(p, job))
		return;
	if (ensure_conn(p, c) != 0) {
		resp_error(rs, 503, "unavailable", "the database is unavailable");
		rs->retry_after = 1;
		return;
	}
	job->route->fn(&job->rq, rs, c->pg);
	if (rs->status == 0)
		resp_internal(rs, &job->rq, "handler gave no answer");
	recycle(p, c);
}

/* Run jobs[0..n) (one route, which has a batch handler) as one group
 * commit; each job is answered. */
static void
run_batch(struct pool *p, struct wconn *c, struct job **jobs, int n)
{
	struct job *live[BATCH_MAX];
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (!stale(p, jobs[i]))
			live[m++] = jobs[i];
	if (m == 0)
		return;
	if (m == 1) {
		run_job(p, c, live[0]);
		return;
	}
	if (ensure_conn(p, c) != 0) {
		for (i = 0; i < m; i++) {
			resp_error(&live[i]->rs, 503, "unavailable",
			    "the database is unavailable");
			live[i]->rs.retry_after = 1;
		}
		return;
	}
	live[0]->batch(live, m, c->pg);
	for (i = 0; i < m; i++)
		if (live[i]->rs.status == 0)
			resp_internal(&live[i]->rs, &live[i]->rq,
			    "batch handler gave no answer");
	recycle(p, c);
}

/* The oldest job a worker may start now, or NULL; lock held. */
static struct job *
pick(struct pool *p)
{
	struct job *job;

	TAILQ_FOREACH(job, &p->queue, link)
		if (job->batch == NULL || p->batching < BATCH_RUNNERS)
			return job;
	return NULL;
}

/* Take first and up to BATCH_MAX - 1 more queued jobs of its route out of
 * the queue, oldest first; lock held.  Returns how many. */
static int
gather(struct pool *p, struct job *first, struct job **jobs)
{
	struct job *job, *next;
	size_t bytes = 0;
	int n = 0;

	TAILQ_REMOVE(&p->queue, first, link);
	jobs[n++] = first;
	for (job = TAILQ_FIRST(&p->queue); job != NULL && n < BATCH_MAX;
	    job = next) {
		next = TAILQ_NEXT(job, link);
		if (job->batch != first->batch)
			continue;
		if (bytes + job->rq.body.len > BATCH_BYTES)
			break;
		bytes += job->rq.body.len;
		TAILQ_REMOVE(&p->queue, job, link);
		jobs[n++] = job;
	}
	p->queued -= n;
	return n;
}

static void *
worker_main(void *arg)
{
	struct worker *self = arg;
	struct pool *p = self->pool;
	struct wconn conn = { NULL, 0 };
	struct timespec ts;
	struct job *job;
	int rc;

	/* Connect before the first job, so a fresh pool is warm. */
	ensure_conn(p, &conn);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while ((job = pick(p)) == NULL &&
		    !(p->stopping && TAILQ_EMPTY(&p->queue))) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += IDLE_EXIT_SECS;
			p->idle++;
			rc = pthread_cond_timedwait(&p->work, &p->lock, &ts);
			p->idle--;
			if (rc == ETIMEDOUT && TAILQ_EMPTY(&p->queue) &&
			    p->threads > p->cfg.min)
				goto out;
		}
		if (job == NULL)
			break;	/* stopping, and nothing left to run */
		p->busy++;
		if (job->batch != NULL) {
			struct job *jobs[BATCH_MAX];
			int i, n;

			p->batching++;
			n = gather(p, job, jobs);
			pthread_mutex_unlock(&p->lock);

			run_batch(p, &conn, jobs, n);

			pthread_mutex_lock(&p->lock);
			p->batching--;
			p->busy--;
			for (i = 0; i < n; i++)
				TAILQ_INSERT_TAIL(&p->done, jobs[i], link);
			/* A batch slot is free: wake a worker for the
			 * batchable jobs that queued meanwhile. */
			if (!TAILQ_EMPTY(&p->queue))
				pthread_cond_signal(&p->work);
			pthread_mutex_unlock(&p->lock);
			p->cfg.wake(p->cfg.wake_arg);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		TAILQ_REMOVE(&p->queue, job, link);
		p->queued--;
		pthread_mutex_unlock(&p->lock);

		run_job(p, &conn, job);

		pthread_mutex_lock(&p->lock);
		p->busy--;
		TAILQ_INSERT_TAIL(&p->done, job, link);
		pthread_mutex_unlock(&p->lock);
		p->cfg.wake(p->cfg.wake_arg);
		pthread_mutex_lock(&p->lock);
	}
out:
	pthread_mutex_unlock(&p->lock);
	if (conn.pg != NULL)
		drop_conn(p, &conn);
	/* Last touch of p: pool_free may free it as soon as this unlocks. */
	pthread_mutex_lock(&p->lock);
	p->threads--;
	self->exited = true;
	pthread_cond_broadcast(&p->gone);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_new(const struct pool_config *cfg)
{
	struct pool *p = xcalloc(1, sizeof *p);
	int i;

	p->cfg = *cfg;
	p->conninfo = xstrdup(cfg->conninfo);
	p->cfg.conninfo = p->conninfo;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->gone, NULL);
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->done);
	TAILQ_INIT(&p->workers);
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < cfg->min; i++)
		spawn(p);
	pthread_mutex_unlock(&p->lock);
	return p;
}

void
pool_submit(struct pool *p, struct job *job)
{
	job->queued_us = mono_us();
	pthread_mutex_lock(&p->lock);
	TAILQ_INSERT_TAIL(&p->queue, job, link);
	p->queued++;
	reap(p);
	if (p->idle < p->queued && p->threads < p->cfg.max)
		spawn(p);
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

struct job *
pool_take_done(struct pool *p)
{
	struct job *job;

	pthread_mutex_lock(&p->lock);
	if ((job = TAILQ_FIRST(&p->done)) != NULL)
		TAILQ_REMOVE(&p->done, job, link);
	pthread_mutex_unlock(&p->lock);
	return job;
}

void
pool_stats(struct pool *p, struct pool_stats *out)
{
	pthread_mutex_lock(&p->lock);
	out->threads = p->threads;
	out->busy = p->busy;
	out->queued = p->queued;
	out->conns = p->conns;
	pthread_mutex_unlock(&p->lock);
}

void
pool_free(struct pool *p)
{
	struct job *job;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	while (p->threads > 0)
		pthread_cond_wait(&p->gone, &p->lock);
	reap(p);
	pthread_mutex_unlock(&p->lock);
	while ((job = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, job, link);
		job_free(job);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->gone);
	pthread_mutex_destroy(&p->lock);
	free(p->conninfo);
	free(p);
}
