/*
 * daemon.c - tock-syncd as a daemon: one per replica, keeping it in sync.
 *
 * Threads, and why: libcurl's easy API blocks for a whole request, and a
 * round is many requests, yet the control socket must answer at once and
 * the WebSocket link must keep its pings.  So:
 *
 *   main    signals and the control socket (ctl.c), in one poll() loop;
 *   worker  the only thread that writes the replica or talks REST: it
 *           runs one round at a time (sync_round / sync_pull) and applies
 *           WebSocket frames (sync_ws_frame), sleeping on a condition
 *           variable until there is work or the 60 s safety pull is due;
 *   link    the lws service loop (link.c), which only reads the replica
 *           (the hello) and queues frames for the worker.
 *
 * They share struct daemon under d->mu.  Work is flags, not a queue:
 * kicks arriving while a round runs fold into the next one, and the first
 * kick of a burst waits KICK_COALESCE_MS for the rest, so a burst costs
 * one push.  The worker tells the main thread about finished rounds and
 * changes through a pipe the poll() loop watches.  Nothing polls on a
 * timer except the safety pull: idle, all three threads sleep.
 *
 * Start-up: lock <db>.syncd.lock (flock; a second daemon exits 1), open
 * the control socket, then daemonise unless -d (stderr goes to
 * $XDG_STATE_HOME/tock/syncd.log), then start the threads - after the
 * fork, which threads would not survive.  Nothing on the main thread
 * touches the network, so the socket answers at once even when the
 * server cannot be reached; the worker gets the first access token and
 * retries failed rounds with backoff (OFFLINE_*_MS), and the link starts
 * connecting once there is a token.
 * SIGTERM/SIGINT: the worker finishes its round, the link closes, the
 * socket file is removed, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "strbuf.h"
#include "sync.h"
#include "syncd.h"

#define KICK_COALESCE_MS 5
#define SAFETY_PULL_MS 60000
#define FRAMES_MAX 256		/* beyond this, drop frames and just pull */
#define OFFLINE_MIN_MS 1000	/* retry a round that found no server ... */
#define OFFLINE_MAX_MS 60000	/* ... doubling up to this */

struct frame {
	struct frame *next;
	size_t len;
	char json[];
};

struct daemon {
	char *db_path;
	struct db *db;		/* the worker's */
	struct session *s;
	struct link *link;
	struct ctl *ctl;
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wake[2];		/* worker -> main */

	/* Work, under mu. */
	bool stop;
	bool want_push;
	bool want_pull;
	bool want_round;
	bool want_token;	/* the link was refused: check the token */
	int64_t kick_at;	/* first kick not yet served, 0 none */
	uint64_t round_req;	/* sync commands asked ... */
	uint64_t round_done;	/* ... and answered */
	struct frame *frames, **frames_tail;
	int nframes;

	/* Results, under mu. */
	bool changed;
	bool link_up;
	bool round_ok;
	int64_t last_sync;
	char last_error[256];
	char answer[512];	/* of the last round, for sync waiters */
};

static volatile int stop_flag;
static int sig_pipe = -1;

static void
on_signal(int sig)
{
	int e = errno;

	(void)sig;
	stop_flag = 1;
	if (sig_pipe >= 0)
		(void)!write(sig_pipe, "s", 1);
	errno = e;
}

static void
wake_main(struct daemon *d)
{
	(void)!write(d->wake[1], "w", 1);
}

/* ---- hooks from the link thread ---- */

static void
link_frame(void *arg, const char *json, size_t len)
{
	struct daemon *d = arg;
	struct frame *f;

	pthread_mutex_lock(&d->mu);
	if (d->nframes >= FRAMES_MAX) {
		d->want_pull = true;	/* a pull covers whatever we drop */
	} else if ((f = malloc(sizeof *f + len + 1)) != NULL) {
		f->next = NULL;
		f->len = len;
		memcpy(f->json, json, len);
		f->json[len] = '\0';
		*d->frames_tail = f;
		d->frames_tail = &f->next;
		d->nframes++;
	}
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void
link_state(void *arg, bool up)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->mu);
	d->link_up = up;
	if (up)
		d->want_round = true;	/* catch up on every (re)connect */
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void
link_unauthorized(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->mu);
	d->want_token = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* ---- hooks from the control socket (main thread) ---- */

static void
ctl_kick(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->mu);
	if (!d->want_push) {
		d->want_push = true;
		d->kick_at = syncd_now_ms();
	}
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static uint64_t
ctl_sync(void *arg)
{
	struct daemon *d = arg;
	uint64_t n;

	pthread_mutex_lock(&d->mu);
	n = ++d->round_req;
	d->want_round = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return n;
}

static void
ctl_status(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->mu);
	strbuf_addf(out, "{\"ok\":true,\"online\":%s,\"link\":%s,"
	    "\"last_sync\":%lld,\"last_error\":",
	    d->link_up || d->round_ok ? "true" : "false",
	    d->link_up ? "true" : "false", (long long)d->last_sync);
	if (d->last_error[0] != '\0')
		strbuf_add_json_str(out, d->last_error);
	else
		strbuf_addstr(out, "null");
	strbuf_addstr(out, ",\"server\":");
	strbuf_add_json_str(out, d->s->server);
	strbuf_addch(out, '}');
	pthread_mutex_unlock(&d->mu);
}

/* A sync has waited long: give up on it only when we are offline (a big
 * snapshot over a live connection may take longer, and that is fine). */
static bool
ctl_overdue(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	bool offline;

	pthread_mutex_lock(&d->mu);
	offline = !d->link_up && !d->round_ok;
	if (offline) {
		strbuf_addstr(out, "{\"ok\":false,\"code\":\"offline\","
		    "\"message\":");
		strbuf_add_json_str(out, d->last_error[0] != '\0' ?
		    d->last_error : "the server does not answer");
		strbuf_addch(out, '}');
	}
	pthread_mutex_unlock(&d->mu);
	return offline;
}

static void
main_woken(void *arg, struct ctl *c)
{
	struct daemon *d = arg;
	char answer[sizeof d->answer];
	uint64_t done;
	bool changed;

	pthread_mutex_lock(&d->mu);
	done = d->round_done;
	changed = d->changed;
	d->changed = false;
	memcpy(answer, d->answer, sizeof answer);
	pthread_mutex_unlock(&d->mu);
	if (done > 0)
		ctl_round_done(c, done, answer);
	if (changed)
		ctl_changed(c);
}

/* ---- the worker ---- */

static const char *
err_kind(int rc)
{
	return rc == TOCK_EIO || rc == TOCK_EBUSY ? "offline" :
	    rc == TOCK_EAUTH ? "auth" : rc == TOCK_EFORBIDDEN ||
	    rc == TOCK_ECONFLICT ? "rejected" : "error";
}

static void *
worker_main(void *arg)
{
	struct daemon *d = arg;
	struct sync_transport tp;
	int64_t next_safety = syncd_now_ms();	/* a round at start */
	int64_t backoff = 0;			/* ms, 0 = online */
	bool reached = false;			/* a round succeeded */
	uint32_t rnd = (uint32_t)getpid();

	session_transport(d->s, &tp);
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		struct tock_err err = TOCK_ERR_INIT;
		struct sync_stats st;
		struct frame *frames, *f;
		bool push, pull, round, token, need;
		uint64_t gen;
		int64_t now = syncd_now_ms(), until;
		int rc = 0;

		if (now >= next_safety)
			d->want_round = true;
		if (d->want_push && !d->want_round &&
		    now < d->kick_at + KICK_COALESCE_MS) {
			until = d->kick_at + KICK_COALESCE_MS;
		} else if (!d->want_push && !d->want_pull && !d->want_round &&
		    !d->want_token && d->frames == NULL) {
			until = next_safety;
		} else {
			until = 0;
		}
		if (until > 0) {
			struct timespec ts;

			ts.tv_sec = until / 1000;
			ts.tv_nsec = (until % 1000) * 1000000;
			pthread_cond_timedwait(&d->cv, &d->mu, &ts);
			continue;
		}
		push = d->want_push;
		pull = d->want_pull;
		round = d->want_round;
		token = d->want_token;
		gen = d->round_req;
		frames = d->frames;
		d->frames = NULL;
		d->frames_tail = &d->frames;
		d->nframes = 0;
		d->want_push = d->want_pull = d->want_round = false;
		d->want_token = false;
		d->kick_at = 0;
		pthread_mutex_unlock(&d->mu);

		memset(&st, 0, sizeof st);
		if (token && session_ensure(d->s, NULL) == 0)
			link_nudge(d->link);
		while ((f = frames) != NULL) {
			frames = f->next;
			need = false;
			log_debug("frame: %.*s", f->len > 200 ? 200 : (int)f->len,
			    f->json);
			if (rc == 0 && sync_ws_frame(d->db, f->json, f->len,
			    &need, &st, &err) != 0) {
				log_warnx("frame: %s", err.msg);
				need = true;
			}
			pull = pull || need;
			free(f);
		}
		rc = 0;
		if (push || round) {
			/* SYNC.md: every push is followed by a pull. */
			rc = sync_round(d->db, &tp, &st, &err);
			next_safety = syncd_now_ms() + SAFETY_PULL_MS;
		} else if (pull) {
			rc = sync_pull(d->db, &tp, &st, &err);
		}
		if (push || round || pull) {
			sync_note_round(d->db, rc == 0 ? NULL : err.msg, NULL);
			if (rc != 0)
				log_warnx("sync: %s", err.msg);
			else
				log_info("sync: pushed %d, pulled %d",
				    st.pushed, st.pulled + st.snapshot_rows);
			if (rc == TOCK_EIO || rc == TOCK_EBUSY) {
				/* No server: try again soon, then less
				 * often (with jitter), not only in 60 s. */
				backoff = backoff == 0 ? OFFLINE_MIN_MS :
				    backoff * 2 > OFFLINE_MAX_MS ?
				    OFFLINE_MAX_MS : backoff * 2;
				rnd = rnd * 1103515245u + 12345u;
				next_safety = syncd_now_ms() + backoff / 2 +
				    (int64_t)(rnd % (uint32_t)(backoff / 2 + 1));
			} else if (rc == 0 && (backoff != 0 || !reached)) {
				/* The first token (offline at start), or the
				 * server is back: the link may connect now. */
				backoff = 0;
				reached = true;
				link_nudge(d->link);
			}
			/* New or lost scopes: the server must know. */
			link_scopes_changed(d->link);
		}

		pthread_mutex_lock(&d->mu);
		if (push || round || pull) {
			d->round_ok = rc == 0;
			if (rc == 0) {
				d->last_sync = syncd_now_ms();
				d->last_error[0] = '\0';
				snprintf(d->answer, sizeof d->answer,
				    "{\"ok\":true,\"pushed\":%d,\"pulled\":%d}",
				    st.pushed, st.pulled + st.snapshot_rows);
			} else {
				struct strbuf a = STRBUF_INIT;

				snprintf(d->last_error, sizeof d->last_error,
				    "%s", err.msg);
				strbuf_addf(&a, "{\"ok\":false,\"code\":\"%s\","
				    "\"message\":", err_kind(rc));
				strbuf_add_json_str(&a, err.msg);
				strbuf_addch(&a, '}');
				snprintf(d->answer, sizeof d->answer, "%s",
				    a.buf);
				strbuf_release(&a);
			}
		}
		if (round)
			d->round_done = gen;
		if (st.changed)
			d->changed = true;
		if (round || st.changed)
			wake_main(d);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* ---- start-up ---- */

static int
take_lock(const char *db_path, int *fd_out)
{
	struct strbuf p = STRBUF_INIT;
	char pid[32] = "";
	int fd;
	ssize_t n;

	strbuf_addf(&p, "%s.syncd.lock", db_path);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "tock-syncd: cannot open %s: %s\n", p.buf,
		    strerror(errno));
		strbuf_release(&p);
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (pid[0] != '\0')
			fprintf(stderr, "tock-syncd: another tock-syncd (pid %s) "
			    "already serves %s\n", pid, db_path);
		else
			fprintf(stderr, "tock-syncd: another tock-syncd already "
			    "serves %s\n", db_path);
		close(fd);
		strbuf_release(&p);
		return 1;
	}
	strbuf_release(&p);
	*fd_out = fd;
	return 0;
}

static void
write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, buf, (size_t)n, 0);
}

static char *
log_path(void)
{
	const char *base = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct strbuf sb = STRBUF_INIT;

	if (base != NULL && *base == '/')
		strbuf_addf(&sb, "%s/tock/syncd.log", base);
	else if (home != NULL && *home != '\0')
		strbuf_addf(&sb, "%s/.local/state/tock/syncd.log", home);
	else
		return NULL;
	return strbuf_detach(&sb, NULL);
}

/* fork, setsid, stdio to /dev/null and the log file; the parent exits. */
static int
daemonise(void)
{
	char *lp = log_path();
	int fd, logfd = -1;
	pid_t pid;

	if (lp != NULL && paths_mkparent(lp, NULL) == 0)
		logfd = open(lp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(lp);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "tock-syncd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(logfd >= 0 ? logfd : fd, STDOUT_FILENO);
		dup2(logfd >= 0 ? logfd : fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (logfd >= 0)
		close(logfd);
	return 0;
}

int
daemon_run(const struct daemon_opts *o)
{
	static const struct ctl_hooks ch0 = { NULL, ctl_kick, ctl_sync,
	    ctl_status, ctl_overdue };
	static const struct link_hooks lh0 = { NULL, link_frame, link_state,
	    link_unauthorized };
	struct tock_err err = TOCK_ERR_INIT;
	struct daemon d;
	struct ctl_hooks ch = ch0;
	struct link_hooks lh = lh0;
	struct sync_status st;
	struct sigaction sa;
	sigset_t all, old;
	char *sock = NULL;
	int lockfd = -1, code = 1, rc;
	bool worker_up = false, curl_up = false;

	memset(&d, 0, sizeof d);
	memset(&st, 0, sizeof st);
	d.wake[0] = d.wake[1] = -1;
	d.frames_tail = &d.frames;
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	ch.arg = lh.arg = &d;

	d.db_path = o->db_path != NULL ? strdup(o->db_path) : paths_db(&err);
	if (d.db_path == NULL) {
		fprintf(stderr, "tock-syncd: %s\n", err.msg);
		goto out;
	}
	if (take_lock(d.db_path, &lockfd) != 0)
		goto out;
	if ((rc = db_open(&d.db, d.db_path, 0, &err)) != 0 ||
	    (rc = session_open(&d.s, d.db, d.db_path, &err)) != 0) {
		fprintf(stderr, "tock-syncd: %s\n", err.msg);
		code = syncd_exit_code(rc) == 6 ? 6 : 1;
		goto out;
	}
	if (sync_status_get(d.db, &st, NULL) == 0) {
		d.last_sync = st.last_sync;
		if (st.last_error != NULL)
			snprintf(d.last_error, sizeof d.last_error, "%s",
			    st.last_error);
	}
	if ((sock = paths_socket(&err)) == NULL ||
	    ctl_open(&d.ctl, sock, &ch, &err) != 0) {
		fprintf(stderr, "tock-syncd: %s\n", err.msg);
		goto out;
	}
	if (!o->foreground) {
		/* SQLite handles must not cross a fork: reopen after. */
		db_close(d.db);
		d.db = NULL;
		if (daemonise() != 0)
			goto out;
		if (db_open(&d.db, d.db_path, 0, &err) != 0) {
			log_warnx("%s", err.msg);
			goto out;
		}
	}
	write_pid(lockfd);
	if (pipe2(d.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_warn("pipe");
		goto out;
	}
	sig_pipe = d.wake[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if ((curl_up = http_global_init(&err) == 0) == false) {
		log_warnx("%s", err.msg);
		goto out;
	}
	/* No network here: the worker's first round gets the token. */
	if (link_start(&d.link, d.s, d.db_path, &lh, &err) != 0) {
		log_warnx("%s", err.msg);
		goto out;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&d.worker, NULL, worker_main, &d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("cannot start the worker thread");
		goto out;
	}
	worker_up = true;
	log_info("serving %s for %s on %s", d.db_path, d.s->server, sock);

	ctl_serve(d.ctl, d.wake[0], &stop_flag, main_woken, &d);
	log_info("stopping");
	code = 0;
out:
	if (worker_up) {
		pthread_mutex_lock(&d.mu);
		d.stop = true;
		pthread_cond_signal(&d.cv);
		pthread_mutex_unlock(&d.mu);
		pthread_join(d.worker, NULL);
	}
	link_stop(d.link);
	ctl_close(d.ctl);
	while (d.frames != NULL) {
		struct frame *f = d.frames;

		d.frames = f->next;
		free(f);
	}
	sig_pipe = -1;
	if (d.wake[0] >= 0) {
		close(d.wake[0]);
		close(d.wake[1]);
	}
	session_free(d.s);
	db_close(d.db);
	sync_status_release(&st);
	if (curl_up)
		http_global_cleanup();
	if (lockfd >= 0)
		close(lockfd);
	free(sock);
	free(d.db_path);
	pthread_mutex_destroy(&d.mu);
	pthread_cond_destroy(&d.cv);
	return code;
}
