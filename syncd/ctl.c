/*
 * ctl.c - the control socket (PROTOCOL.md "Control socket"; tmux's
 * server-client split): a UNIX stream socket, mode 0600, one JSON object
 * per line each way.  It runs on the main thread in a poll() loop that
 * sleeps until a client, a signal or the worker (through wake_fd) has
 * something, so an idle daemon uses no CPU.  It never touches the
 * database or the network: kick and sync are handed to the worker through
 * the hooks, and the worker's results come back through wake_fd.
 *
 * Writes are small and non-blocking; a client that does not read its
 * answers is dropped rather than allowed to stall the daemon.
 *
 * A sync waiter is never left hanging on a server that does not answer:
 * after CTL_SYNC_WAIT_MS the overdue hook may answer it (offline) at
 * once, else it waits another period.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "paths.h"
#include "strbuf.h"
#include "syncd.h"

#define CTL_MAX_CLIENTS 64
#define CTL_LINE_MAX 4096
#define CTL_SYNC_WAIT_MS 8000	/* under the CLI's 10 s patience */

struct client {
	int fd;
	struct strbuf in;
	bool subscribed;
	uint64_t waiting;	/* sync request number, 0 = none */
	int64_t due;		/* monotonic ms to ask h.overdue */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ctl {
	int lfd;
	char *path;
	struct ctl_hooks h;
	struct client c[CTL_MAX_CLIENTS];
	int n;
};

int
ctl_open(struct ctl **out, const char *path, const struct ctl_hooks *h,
    struct tock_err *err)
{
	struct sockaddr_un sa;
	struct ctl *c;
	mode_t old;
	int fd, rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return tock_err_set(err, TOCK_EINVAL, "socket path '%s' is too "
		    "long", path);
	strcpy(sa.sun_path, path);
	if ((rc = paths_mkparent(path, err)) != 0)
		return rc;
	/* A socket file nobody answers on is left from a crash: remove it.
	 * One that answers belongs to a daemon of another replica. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return tock_err_set(err, TOCK_EIO, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		return tock_err_set(err, TOCK_EEXISTS, "another tock-syncd "
		    "answers on %s", path);
	}
	close(fd);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return tock_err_set(err, TOCK_EIO, "socket: %s", strerror(errno));
	old = umask(0077);	/* born 0600: no window where others connect */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return rc;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		unlink(path);
		return tock_err_set(err, TOCK_ERR, "out of memory");
	}
	c->lfd = fd;
	c->path = strdup(path);
	c->h = *h;
	*out = c;
	return 0;
}

static void
drop(struct ctl *c, int i)
{
	close(c->c[i].fd);
	strbuf_release(&c->c[i].in);
	c->c[i] = c->c[--c->n];
}

/* Send one line; false when the client is gone or not reading. */
static bool
say(struct client *cl, const char *line)
{
	size_t len = strlen(line);
	ssize_t n;

	n = send(cl->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)len)
		return false;
	return send(cl->fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

/* One command line; false to drop the client. */
static bool
command(struct ctl *c, struct client *cl, const char *line, size_t len)
{
	struct strbuf out = STRBUF_INIT;
	char cmd[32];
	bool ok = true;

	wire_ctl_cmd(line, len, cmd, sizeof cmd);
	if (strcmp(cmd, "kick") == 0) {
		c->h.kick(c->h.arg);
	} else if (strcmp(cmd, "sync") == 0) {
		cl->waiting = c->h.sync(c->h.arg);
		cl->due = mono_ms() + CTL_SYNC_WAIT_MS;
	} else if (strcmp(cmd, "subscribe") == 0) {
		cl->subscribed = true;
		ok = say(cl, "{\"ok\":true}");
	} else if (strcmp(cmd, "status") == 0) {
		c->h.status(c->h.arg, &out);
		ok = say(cl, out.buf);
	} else {
		strbuf_addstr(&out, "{\"ok\":false,\"code\":\"error\","
		    "\"message\":\"unknown command\"}");
		ok = say(cl, out.buf);
	}
	strbuf_release(&out);
	return ok;
}

/* Read what is there and run the complete lines; false to drop. */
static bool
readable(struct ctl *c, struct client *cl)
{
	char buf[1024], *nl;
	ssize_t n;

	n = recv(cl->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (strbuf_add(&cl->in, buf, (size_t)n) != 0)
		return false;	/* a line longer than CTL_LINE_MAX */
	while ((nl = memchr(cl->in.buf, '\n', cl->in.len)) != NULL) {
		size_t len = (size_t)(nl - cl->in.buf);
		struct strbuf rest = STRBUF_INIT;

		if (len > 0 && !command(c, cl, cl->in.buf, len))
			return false;
		strbuf_init(&rest, CTL_LINE_MAX);
		strbuf_add(&rest, nl + 1, cl->in.len - len - 1);
		strbuf_release(&cl->in);
		cl->in = rest;
	}
	return true;
}

static void
accept_one(struct ctl *c)
{
	int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (c->n == CTL_MAX_CLIENTS) {
		close(fd);
		log_warnx("control socket: too many clients");
		return;
	}
	memset(&c->c[c->n], 0, sizeof c->c[c->n]);
	c->c[c->n].fd = fd;
	strbuf_init(&c->c[c->n].in, CTL_LINE_MAX);
	c->n++;
}

/* Answer the waiters past their due time if the daemon says it is
 * offline; the poll timeout until the next due time (-1 none). */
static int
overdue(struct ctl *c)
{
	struct strbuf out = STRBUF_INIT;
	int64_t now = mono_ms(), next = -1;
	int i;

	for (i = c->n - 1; i >= 0; i--) {
		struct client *cl = &c->c[i];

		if (cl->waiting == 0)
			continue;
		if (cl->due <= now) {
			strbuf_reset(&out);
			if (c->h.overdue != NULL &&
			    c->h.overdue(c->h.arg, &out)) {
				cl->waiting = 0;
				if (!say(cl, out.buf))
					drop(c, i);
				continue;
			}
			cl->due = now + CTL_SYNC_WAIT_MS;
		}
		if (next < 0 || cl->due - now < next)
			next = cl->due - now;
	}
	strbuf_release(&out);
	return (int)next;
}

void
ctl_serve(struct ctl *c, int wake_fd, volatile int *stop,
    void (*on_wake)(void *arg, struct ctl *c), void *arg)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 2];
	int i, n, timeout;

	while (!*stop) {
		timeout = overdue(c);
		pfd[0].fd = wake_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->lfd;
		pfd[1].events = POLLIN;
		for (i = 0; i < c->n; i++) {
			pfd[i + 2].fd = c->c[i].fd;
			pfd[i + 2].events = POLLIN;
		}
		n = c->n;
		if (poll(pfd, (nfds_t)n + 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			char drain[64];

			while (read(wake_fd, drain, sizeof drain) > 0)
				;
			on_wake(arg, c);
		}
		/* Back to front: drop() moves the last client into i. */
		for (i = n - 1; i >= 0; i--) {
			if (i >= c->n || pfd[i + 2].revents == 0)
				continue;
			if (!readable(c, &c->c[i]))
				drop(c, i);
		}
		if (pfd[1].revents & POLLIN)
			accept_one(c);
	}
}

void
ctl_round_done(struct ctl *c, uint64_t done, const char *answer)
{
	int i;

	for (i = c->n - 1; i >= 0; i--) {
		if (c->c[i].waiting == 0 || c->c[i].waiting > done)
			continue;
		c->c[i].waiting = 0;
		if (!say(&c->c[i], answer))
			drop(c, i);
	}
}

void
ctl_changed(struct ctl *c)
{
	int i;

	for (i = c->n - 1; i >= 0; i--)
		if (c->c[i].subscribed &&
		    !say(&c->c[i], "{\"event\":\"changed\"}"))
			drop(c, i);
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	while (c->n > 0)
		drop(c, c->n - 1);
	close(c->lfd);
	unlink(c->path);
	free(c->path);
	free(c);
}
