/* SPDX-License-Identifier: ISC */
/*
 * pool.h - the database worker pool: threads that each own one libpq
 * connection and run request handlers on it (pg.c explains why).
 *
 * The service thread submits jobs; a worker takes the oldest, runs its
 * route's handler with its own connection, checks the connection back in
 * (pg_recycle), moves the job to the done queue and calls wake(), which is
 * lws_cancel_service() in the server.  The service thread then drains the
 * done queue with pool_take_done() in LWS_CALLBACK_EVENT_WAIT_CANCELLED.
 *
 * Size: min workers are started at once; another is started (up to max)
 * when a job arrives and every worker is busy; a worker above min that has
 * been idle for a minute exits.  A job that waited longer than the job
 * timeout before a worker took it is answered 503 without running.  A
 * worker whose connection cannot be (re)opened answers 503 too, and tries
 * again with the next job.
 *
 * Group commit: a job whose batch is set (api_batch_for: POST
 * /api/v1/tasks) is run with the other such jobs queued at the time, up to
 * 64 and 32 KiB of bodies, by one worker in one transaction (route.h,
 * route_batch_fn), so a workspace's writes share one scope lock and one
 * WAL flush instead of queueing on the lock one flush each.  At most two
 * workers run batches at once: while one commits, the jobs arriving
 * queue up for the next.  A batch of one runs the route's ordinary
 * handler.
 *
 * Threads: pool_submit, pool_take_done and pool_stats may be called from
 * any thread; pool_free from the thread that made the pool, after the
 * service loop has stopped submitting.
 */
#ifndef TOCK_POOL_H
#define TOCK_POOL_H

struct job;
struct pool;
struct tock_err;

struct pool_config {
	const char *conninfo;
	int min;
	int max;
	int job_timeout;	/* seconds a job may wait for a worker */
	void (*wake)(void *arg);
	void *wake_arg;
};

struct pool_stats {
	int threads;	/* workers alive */
	int busy;	/* running a handler */
	int queued;	/* waiting for a worker */
	int conns;	/* open connections */
};

struct pool *pool_new(const struct pool_config *cfg);
/* Queue job; the pool owns it until pool_take_done returns it. */
void pool_submit(struct pool *pool, struct job *job);
/* The next finished job, or NULL. */
struct job *pool_take_done(struct pool *pool);
void pool_stats(struct pool *pool, struct pool_stats *out);
/* Run what is queued, stop the workers, close their connections, join
 * the threads (so their thread-local state is gone too), and free
 * whatever finished jobs nobody took. */
void pool_free(struct pool *pool);

#endif
