/*
 * syncd_exec.c - running tock-syncd as a helper and talking to a running
 * daemon on its control socket (see syncd_exec.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctlsock.h"
#include "err.h"
#include "strbuf.h"
#include "syncd_exec.h"
#include "xmalloc.h"

#define ANSWER_MAX (1 << 20)

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Where tock-syncd is: $TOCK_SYNCD, beside us, ../syncd/ in a build
 * tree; NULL means "search PATH". */
static char *
find_syncd(void)
{
	const char *env = getenv("TOCK_SYNCD");
	char self[PATH_MAX], *slash, *p;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return NULL;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	p = xasprintf("%s/tock-syncd", self);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/../syncd/tock-syncd", self);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static void
child_fd(int from, int to)
{
	if (from != to) {
		dup2(from, to);
		close(from);
	}
}

/* Read what the child writes on fds[0..1] into bufs until both close;
 * feed input to in_fd meanwhile (a large input cannot deadlock). */
static void
pump(int in_fd, const char *input, int fds[2], struct strbuf *bufs[2])
{
	size_t off = 0, len = input != NULL ? strlen(input) : 0;
	char chunk[4096];
	struct pollfd p[3];
	int i, np;
	ssize_t r;

	for (;;) {
		np = 0;
		for (i = 0; i < 2; i++)
			if (fds[i] >= 0)
				p[np++] = (struct pollfd){ fds[i], POLLIN, 0 };
		if (in_fd >= 0)
			p[np++] = (struct pollfd){ in_fd, POLLOUT, 0 };
		if (np == 0)
			return;
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == in_fd) {
				r = write(in_fd, input + off, len - off);
				if (r > 0)
					off += (size_t)r;
				if ((r < 0 && errno != EINTR &&
				    errno != EAGAIN) || off == len) {
					close(in_fd);
					in_fd = -1;
				}
				continue;
			}
			r = read(p[i].fd, chunk, sizeof chunk);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				int k = p[i].fd == fds[0] ? 0 : 1;

				close(fds[k]);
				fds[k] = -1;
				continue;
			}
			strbuf_add(bufs[p[i].fd == fds[0] ? 0 : 1], chunk,
			    (size_t)r);
		}
	}
}

int
syncd_run(const char *const *args, const char *input, struct strbuf *out,
    struct strbuf *errout, struct tock_err *err)
{
	int in[2] = { -1, -1 }, cap[2][2] = { { -1, -1 }, { -1, -1 } };
	int report[2], fds[2], status, e, nargs, i;
	struct strbuf *bufs[2] = { out, errout };
	char *path = find_syncd();
	const char **argv;
	pid_t pid;
	ssize_t r;

	for (nargs = 0; args[nargs] != NULL; nargs++)
		;
	argv = xmalloc((size_t)(nargs + 2) * sizeof *argv);
	argv[0] = "tock-syncd";
	memcpy(argv + 1, args, (size_t)(nargs + 1) * sizeof *argv);
	/* The child reports a failed exec on this close-on-exec pipe. */
	if (pipe2(report, O_CLOEXEC) != 0 ||
	    (input != NULL && pipe2(in, O_CLOEXEC) != 0) ||
	    (out != NULL && pipe2(cap[0], O_CLOEXEC) != 0) ||
	    (errout != NULL && pipe2(cap[1], O_CLOEXEC) != 0)) {
		e = errno;
		for (i = 0; i < 2; i++) {
			if (cap[i][0] >= 0) {
				close(cap[i][0]);
				close(cap[i][1]);
			}
		}
		free(argv);
		free(path);
		return tock_err_set(err, TOCK_ERR, "cannot run tock-syncd: %s",
		    strerror(e));
	}
	/* A child that exits before reading its input must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		e = errno;
		free(argv);
		free(path);
		return tock_err_set(err, TOCK_ERR, "cannot run tock-syncd: %s",
		    strerror(e));
	}
	if (pid == 0) {
		int devnull;

		close(report[0]);
		if (input != NULL) {
			close(in[1]);
			child_fd(in[0], STDIN_FILENO);
			fcntl(STDIN_FILENO, F_SETFD, 0);
		} else if ((devnull = open("/dev/null", O_RDONLY)) >= 0)
			child_fd(devnull, STDIN_FILENO);
		for (i = 0; i < 2; i++) {
			if (bufs[i] == NULL)
				continue;
			close(cap[i][0]);
			child_fd(cap[i][1], i + 1);
			fcntl(i + 1, F_SETFD, 0);
		}
		signal(SIGPIPE, SIG_DFL);
		if (path != NULL)
			execv(path, (char *const *)argv);
		else
			execvp("tock-syncd", (char *const *)argv);
		e = errno;
		if (write(report[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	free(argv);
	free(path);
	close(report[1]);
	if (input != NULL)
		close(in[0]);
	for (i = 0; i < 2; i++) {
		fds[i] = -1;
		if (bufs[i] != NULL) {
			close(cap[i][1]);
			fds[i] = cap[i][0];
		}
	}
	while ((r = read(report[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (r == (ssize_t)sizeof e) {
		if (input != NULL)
			close(in[1]);
		for (i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return tock_err_set(err, TOCK_ERR, "cannot run tock-syncd: %s",
		    strerror(e));
	}
	pump(input != NULL ? in[1] : -1, input, fds, bufs);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return tock_err_set(err, TOCK_ERR,
			    "cannot wait for tock-syncd: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1;
}

int
syncd_request(const char *db_path, const char *method, const char *path,
    const char *data, struct strbuf *out, struct tock_err *err)
{
	const char *args[9];
	int n = 0;

	args[n++] = "--request";
	args[n++] = method;
	args[n++] = path;
	if (data != NULL) {
		args[n++] = "--data";
		args[n++] = data;
	}
	args[n++] = "--db";
	args[n++] = db_path;
	args[n] = NULL;
	return syncd_run(args, NULL, out, NULL, err);
}

void
syncd_kick(void)
{
	static const char kick[] = "{\"cmd\":\"kick\"}\n";
	int fd = ctlsock_connect();

	if (fd < 0)
		return;
	/* Best effort: a kick the daemon misses is covered by its timer. */
	if (send(fd, kick, sizeof kick - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	close(fd);
}

int
syncd_ask(const char *request, int timeout_ms, char **answer,
    struct tock_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t deadline = mono_ms() + timeout_ms;
	size_t off = 0, len;
	char *line, chunk[4096], *nl;
	int fd = ctlsock_connect(), rc = 0;
	struct pollfd p;
	ssize_t r;

	if (fd < 0)
		return tock_err_set(err, TOCK_ENOTFOUND, "no daemon running");
	line = xasprintf("%s\n", request);
	len = strlen(line);
	strbuf_init(&sb, ANSWER_MAX);
	for (;;) {
		int64_t left = deadline - mono_ms();

		if (left <= 0) {
			rc = tock_err_set(err, TOCK_EIO, "the sync daemon did "
			    "not answer within %d s", (timeout_ms + 999) / 1000);
			break;
		}
		p.fd = fd;
		p.events = off < len ? POLLOUT : POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)(left > INT_MAX ? INT_MAX : left)) < 0) {
			if (errno == EINTR)
				continue;
			rc = tock_err_set(err, TOCK_EIO, "poll: %s",
			    strerror(errno));
			break;
		}
		if (p.revents == 0)
			continue;
		if (off < len) {
			r = send(fd, line + off, len - off, MSG_NOSIGNAL);
			if (r > 0)
				off += (size_t)r;
			else if (r < 0 && errno != EINTR && errno != EAGAIN) {
				rc = tock_err_set(err, TOCK_EIO, "cannot talk "
				    "to the sync daemon: %s", strerror(errno));
				break;
			}
			continue;
		}
		r = read(fd, chunk, sizeof chunk);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			rc = tock_err_set(err, TOCK_EIO,
			    "the sync daemon hung up");
			break;
		}
		if (strbuf_add(&sb, chunk, (size_t)r) != 0) {
			rc = tock_err_set(err, TOCK_EIO,
			    "the sync daemon's answer is too long");
			break;
		}
		if ((nl = memchr(sb.buf, '\n', sb.len)) != NULL) {
			strbuf_setlen(&sb, (size_t)(nl - sb.buf));
			*answer = strbuf_detach(&sb, NULL);
			break;
		}
	}
	close(fd);
	free(line);
	strbuf_release(&sb);
	return rc;
}

/* ---- a reader for flat JSON answers ---------------------------------- */

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past the string starting at p (at its opening quote); NULL if bad. */
static const char *
skip_str(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && *++p == '\0')
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

/* Past one value: a string, a nested object or array, or a scalar. */
static const char *
skip_value(const char *p)
{
	int depth = 0;

	do {
		p = skip_ws(p);
		if (*p == '"') {
			if ((p = skip_str(p)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (*p == '\0')
			return NULL;
		else if (depth == 0) {
			while (*p && *p != ',' && *p != '}' && *p != ']' &&
			    *p != ' ')
				p++;
			return p;
		}
		p++;
	} while (depth > 0);
	return p;
}

/* Where key's value starts in the top-level object json, or NULL. */
static const char *
find_key(const char *json, const char *key)
{
	size_t klen = strlen(key);
	const char *p = skip_ws(json), *k, *end;

	if (*p++ != '{')
		return NULL;
	for (;;) {
		p = skip_ws(p);
		if (*p != '"')
			return NULL;
		k = p + 1;
		if ((end = skip_str(p)) == NULL)
			return NULL;
		p = skip_ws(end);
		if (*p++ != ':')
			return NULL;
		p = skip_ws(p);
		/* Keys we look for have no escapes. */
		if ((size_t)(end - 1 - k) == klen && memcmp(k, key, klen) == 0)
			return p;
		if ((p = skip_value(p)) == NULL)
			return NULL;
		p = skip_ws(p);
		if (*p++ != ',')
			return NULL;
	}
}

bool
json_get_bool(const char *json, const char *key, bool *out)
{
	const char *v = find_key(json, key);

	if (v != NULL && strncmp(v, "true", 4) == 0)
		*out = true;
	else if (v != NULL && strncmp(v, "false", 5) == 0)
		*out = false;
	else
		return false;
	return true;
}

bool
json_get_int(const char *json, const char *key, int64_t *out)
{
	const char *v = find_key(json, key);
	char *end;
	long long n;

	if (v == NULL || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	n = strtoll(v, &end, 10);
	*out = n;
	return end != v;
}

char *
json_get_str(const char *json, const char *key)
{
	const char *v = find_key(json, key), *end, *p;
	struct strbuf sb = STRBUF_INIT;

	if (v == NULL || *v != '"' || (end = skip_str(v)) == NULL)
		return NULL;
	for (p = v + 1; p < end - 1; p++) {
		if (*p != '\\') {
			strbuf_addch(&sb, *p);
			continue;
		}
		switch (*++p) {
		case 'n': strbuf_addch(&sb, '\n'); break;
		case 't': strbuf_addch(&sb, '\t'); break;
		case 'r': strbuf_addch(&sb, '\r'); break;
		case 'b': strbuf_addch(&sb, '\b'); break;
		case 'f': strbuf_addch(&sb, '\f'); break;
		case 'u': {
			unsigned c = 0;
			int i;

			for (i = 0; i < 4 && p[1] != '\0'; i++) {
				char h = *++p;

				c = c * 16 + (unsigned)(h <= '9' ? h - '0' :
				    (h | 0x20) - 'a' + 10);
			}
			/* Messages are for people: plain ASCII is enough;
			 * anything else becomes '?'. */
			strbuf_addch(&sb, c < 0x80 && c >= 0x20 ? (int)c : '?');
			break;
		}
		default: strbuf_addch(&sb, *p); break;
		}
	}
	return strbuf_detach(&sb, NULL);
}
