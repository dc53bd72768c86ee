/*
 * cred.c - where the refresh token lives (PROTOCOL.md "Credentials").
 *
 * First choice: the Secret Service keyring through libsecret, schema
 * org.tock.RefreshToken with attributes server and user.  When no keyring
 * answers - no D-Bus session bus, no secret service on it, or it does not
 * reply within CRED_TIMEOUT_S - the token goes to
 * $XDG_CONFIG_HOME/tock/credentials (mode 0600, "server\tuser\ttoken"
 * lines, rewritten atomically) and stderr says so once.  A token is kept
 * in one place only: storing in one removes it from the other.
 *
 * libsecret's *_sync calls would wait for D-Bus autolaunch or a slow
 * service for a long time; we skip them when DBUS_SESSION_BUS_ADDRESS is
 * unset and otherwise give them a GCancellable that a watchdog thread
 * cancels after the timeout.  Tokens are never logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <libsecret/secret.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"
#include "strbuf.h"
#include "syncd.h"

#define CRED_TIMEOUT_S 5

static const SecretSchema tock_schema = {
	"org.tock.RefreshToken", SECRET_SCHEMA_NONE,
	{
		{ "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static bool warned;

/* ---- the watchdog that bounds a keyring call ---- */

struct watchdog {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	GCancellable *cancel;
};

static void *
watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CRED_TIMEOUT_S;
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT) {
			g_cancellable_cancel(w->cancel);
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int
watchdog_start(struct watchdog *w)
{
	memset(w, 0, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->cancel = g_cancellable_new();
	if (pthread_create(&w->tid, NULL, watchdog_main, w) != 0) {
		g_object_unref(w->cancel);
		return -1;
	}
	return 0;
}

static void
watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->tid, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	g_object_unref(w->cancel);
}

static bool
have_bus(void)
{
	const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");

	return a != NULL && *a != '\0';
}

/* 0 stored, -1 the keyring did not answer (err describes). */
static int
keyring_store(const char *server, const char *user, const char *token,
    struct tock_err *err)
{
	struct watchdog w;
	GError *ge = NULL;
	gboolean ok;
	char label[256];

	if (!have_bus())
		return tock_err_set(err, TOCK_EIO, "no D-Bus session bus");
	if (watchdog_start(&w) != 0)
		return tock_err_set(err, TOCK_ERR, "cannot start a thread");
	snprintf(label, sizeof label, "tock refresh token for %s", server);
	ok = secret_password_store_sync(&tock_schema, SECRET_COLLECTION_DEFAULT,
	    label, token, w.cancel, &ge, "server", server, "user", user, NULL);
	watchdog_stop(&w);
	if (!ok) {
		tock_err_set(err, TOCK_EIO, "keyring: %s",
		    ge != NULL ? ge->message : "store failed");
		g_clear_error(&ge);
		return -1;
	}
	return 0;
}

/* 0 found (*out), TOCK_ENOTFOUND none, TOCK_EIO no keyring. */
static int
keyring_lookup(const char *server, const char *user, char **out,
    struct tock_err *err)
{
	struct watchdog w;
	GError *ge = NULL;
	gchar *pw;

	if (!have_bus())
		return tock_err_set(err, TOCK_EIO, "no D-Bus session bus");
	if (watchdog_start(&w) != 0)
		return tock_err_set(err, TOCK_ERR, "cannot start a thread");
	pw = secret_password_lookup_sync(&tock_schema, w.cancel, &ge,
	    "server", server, "user", user, NULL);
	watchdog_stop(&w);
	if (ge != NULL) {
		tock_err_set(err, TOCK_EIO, "keyring: %s", ge->message);
		g_clear_error(&ge);
		return TOCK_EIO;
	}
	if (pw == NULL)
		return TOCK_ENOTFOUND;
	*out = strdup(pw);
	secret_password_free(pw);	/* wipes it */
	return 0;
}

static void
keyring_clear(const char *server, const char *user)
{
	struct watchdog w;
	GError *ge = NULL;

	if (!have_bus() || watchdog_start(&w) != 0)
		return;
	secret_password_clear_sync(&tock_schema, w.cancel, &ge,
	    "server", server, "user", user, NULL);
	watchdog_stop(&w);
	g_clear_error(&ge);
}

/* ---- the file fallback ---- */

char *
cred_file_path(void)
{
	const char *base = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct strbuf sb = STRBUF_INIT;

	if (base != NULL && *base == '/')
		strbuf_addf(&sb, "%s/tock/credentials", base);
	else if (home != NULL && *home != '\0')
		strbuf_addf(&sb, "%s/.config/tock/credentials", home);
	else
		return NULL;
	return strbuf_detach(&sb, NULL);
}

/* Read the file without the (server, user) line into keep; *found gets
 * that line's token (malloc'd) when found is not NULL. */
static int
file_read(const char *path, const char *server, const char *user,
    struct strbuf *keep, char **found, struct tock_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return tock_err_set(err, TOCK_EIO, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *t1 = strchr(line, '\t'), *t2;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (t1 != NULL && (t2 = strchr(t1 + 1, '\t')) != NULL &&
		    (size_t)(t1 - line) == strlen(server) &&
		    strncmp(line, server, t1 - line) == 0 &&
		    (size_t)(t2 - t1 - 1) == strlen(user) &&
		    strncmp(t1 + 1, user, t2 - t1 - 1) == 0) {
			if (found != NULL && *found == NULL)
				*found = strdup(t2 + 1);
			continue;
		}
		if (n > 0) {
			strbuf_addstr(keep, line);
			strbuf_addch(keep, '\n');
		}
	}
	if (line != NULL)
		memset(line, 0, cap);
	free(line);
	fclose(f);
	return 0;
}

/* Replace the file by text (0600, atomically); an empty text removes it. */
static int
file_write(const char *path, const struct strbuf *text, struct tock_err *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd, rc = 0;

	if (text->len == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return tock_err_set(err, TOCK_EIO, "cannot remove '%s': %s",
			    path, strerror(errno));
		return 0;
	}
	if ((rc = paths_mkparent(path, err)) != 0)
		return rc;
	strbuf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot write '%s': %s",
		    tmp.buf, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 ||
	    write(fd, text->buf, text->len) != (ssize_t)text->len ||
	    fsync(fd) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot write '%s': %s",
		    tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	close(fd);
	if (rename(tmp.buf, path) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot rename to '%s': %s",
		    path, strerror(errno));
		unlink(tmp.buf);
	}
out:
	strbuf_release(&tmp);
	return rc;
}

static void
scrub(struct strbuf *sb)
{
	if (sb->len > 0)
		memset(sb->buf, 0, sb->len);
	strbuf_release(sb);
}

/* Remove (server, user) from the file; *had = it was there. */
static int
file_remove(const char *server, const char *user, bool *had,
    struct tock_err *err)
{
	char *path = cred_file_path(), *old = NULL;
	struct strbuf keep = STRBUF_INIT;
	int rc;

	*had = false;
	if (path == NULL)
		return 0;
	rc = file_read(path, server, user, &keep, &old, err);
	if (rc == 0 && old != NULL) {
		*had = true;
		rc = file_write(path, &keep, err);
	}
	if (old != NULL) {
		memset(old, 0, strlen(old));
		free(old);
	}
	scrub(&keep);
	free(path);
	return rc;
}

int
cred_store(const char *server, const char *user, const char *token,
    enum cred_where *where, struct tock_err *err)
{
	struct tock_err kerr = TOCK_ERR_INIT;
	struct strbuf text = STRBUF_INIT;
	char *path;
	bool had;
	int rc;

	if (keyring_store(server, user, token, &kerr) == 0) {
		if (where != NULL)
			*where = CRED_KEYRING;
		/* Never both: an older file copy goes. */
		return file_remove(server, user, &had, err);
	}
	if ((path = cred_file_path()) == NULL)
		return tock_err_set(err, TOCK_ERR, "no keyring answered (%s) "
		    "and no home directory for the credentials file",
		    kerr.msg);
	if ((rc = file_read(path, server, user, &text, NULL, err)) == 0) {
		strbuf_addf(&text, "%s\t%s\t%s\n", server, user, token);
		rc = file_write(path, &text, err);
	}
	if (rc == 0 && !warned) {
		warned = true;
		fprintf(stderr, "tock-syncd: warning: no keyring answered (%s); "
		    "token kept in %s (mode 0600)\n", kerr.msg, path);
	}
	if (rc == 0 && where != NULL)
		*where = CRED_FILE;
	scrub(&text);
	free(path);
	return rc;
}

int
cred_lookup(const char *server, const char *user, char **out,
    struct tock_err *err)
{
	struct strbuf keep = STRBUF_INIT;
	char *path, *found = NULL;
	int rc;

	*out = NULL;
	rc = keyring_lookup(server, user, out, NULL);
	if (rc == 0)
		return 0;
	if ((path = cred_file_path()) == NULL)
		return tock_err_set(err, TOCK_ENOTFOUND, "no refresh token "
		    "stored for %s", server);
	rc = file_read(path, server, user, &keep, &found, err);
	scrub(&keep);
	free(path);
	if (rc != 0)
		return rc;
	if (found == NULL)
		return tock_err_set(err, TOCK_ENOTFOUND, "no refresh token "
		    "stored for %s", server);
	*out = found;
	return 0;
}

int
cred_clear(const char *server, const char *user, struct tock_err *err)
{
	bool had;

	keyring_clear(server, user);
	return file_remove(server, user, &had, err);
}
