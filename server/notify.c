/* SPDX-License-Identifier: ISC */
/*
 * notify.c - the notification worker (see notify.h).
 *
 * One message per transaction: claim the oldest due notification with
 * FOR UPDATE SKIP LOCKED (so several workers never take the same one),
 * render it, send it, record the outcome, COMMIT.  The row stays locked
 * while the SMTP dialogue runs, so a second worker skips it rather than
 * sending it again; if this worker dies before COMMIT, the claim rolls
 * back and the message is sent again later with the same Message-ID, so
 * the rare duplicate is recognisable (at-least-once, by design: the other
 * order could lose mail).
 *
 * The queries are SECURITY DEFINER functions of migrate.c: the worker
 * connects as the application role, which row-level security otherwise
 * limits to one user's notifications.
 *
 * Templates are files, <dir>/<kind>.txt and <kind>.html; {{name}} is
 * replaced by a value, HTML-escaped in the .html one, so a task titled
 * <script> stays text.  The first line of the .txt template is
 * "Subject: ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "pg.h"
#include "server.h"
#include "strbuf.h"
#include "timeparse.h"
#include "xmalloc.h"

#ifndef TOCK_TEMPLATE_DIR_DEFAULT
#define TOCK_TEMPLATE_DIR_DEFAULT "/usr/local/share/tock/templates"
#endif

struct wcfg {
	const char *smtp_url;
	const char *smtp_ca;
	bool require_tls;
	const char *from;
	const char *public_url;
	const char *template_dir;
	long poll_ms;
	long retry_ms;
	long max_attempts;
	long due_secs;
	const char *metrics_file;
};

struct wstats {
	long long sent;
	long long failed;	/* given up */
	long long retried;
	long long queue;	/* pending, as last counted */
};

static long
env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		log_warnx("%s=%s is not a number in %ld..%ld; using %ld", name,
		    v, min, max, def);
		return def;
	}
	return n;
}

static const char *
env_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static void
load_wcfg(struct wcfg *w)
{
	const char *tls = env_str("TOCK_SMTP_TLS", "try");

	w->smtp_url = env_str("TOCK_SMTP_URL", NULL);
	w->require_tls = strcmp(tls, "require") == 0;
	w->smtp_ca = env_str("TOCK_SMTP_CA", NULL);
	w->from = env_str("TOCK_MAIL_FROM", "tock <tock@localhost>");
	w->public_url = env_str("TOCK_PUBLIC_URL", "");
	w->template_dir = env_str("TOCK_TEMPLATE_DIR",
	    TOCK_TEMPLATE_DIR_DEFAULT);
	w->poll_ms = env_long("TOCK_WORKER_POLL_MS", 1000, 10, 3600000);
	w->retry_ms = env_long("TOCK_WORKER_RETRY_MS", 30000, 10, 86400000);
	w->max_attempts = env_long("TOCK_WORKER_MAX_ATTEMPTS", 8, 1, 100);
	w->due_secs = env_long("TOCK_WORKER_DUE_SECS", 60, 1, 86400);
	w->metrics_file = env_str("TOCK_WORKER_METRICS_FILE", NULL);
}

/* A whole template file into out. */
static int
read_template(struct strbuf *out, const char *dir, const char *kind,
    const char *ext, struct tock_err *err)
{
	char path[1024], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s.%s", dir, kind, ext);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tock_err_set(err, TOCK_ENOTFOUND, "cannot open %s: %s",
		    path, strerror(errno));
	while ((n = read(fd, buf, sizeof buf)) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return tock_err_set(err, TOCK_EIO, "cannot read %s", path);
	return 0;
}

static void
add_html_escaped(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&#39;"); break;
		default: strbuf_addch(out, *s); break;
		}
	}
}

/* {{name}} from vars (a JSON object of strings); unknown names render
 * as nothing.  html escapes every value. */
static void
render(struct strbuf *out, const char *tmpl, const cJSON *vars, bool html)
{
	const char *p = tmpl, *open, *close;

	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		char name[64];
		size_t n = (size_t)(close - open - 2);
		const cJSON *v;

		strbuf_add(out, p, (size_t)(open - p));
		p = close + 2;
		if (n >= sizeof name)
			continue;
		memcpy(name, open + 2, n);
		name[n] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(vars, name);
		if (!cJSON_IsString(v))
			continue;
		if (html)
			add_html_escaped(out, v->valuestring);
		else
			strbuf_addstr(out, v->valuestring);
	}
	strbuf_addstr(out, p);
}

static void
set_var(cJSON *vars, const char *name, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(vars, name);
	cJSON_AddStringToObject(vars, name, value != NULL ? value : "");
}

/*
 * The message for one claimed row: payload (JSON from the trigger) plus
 * the recipient.  Fills subject/text/html (caller releases).
 */
static int
compose(const struct wcfg *w, const char *kind, const char *name,
    const char *payload, struct strbuf *subject, struct strbuf *text,
    struct strbuf *html, struct tock_err *err)
{
	struct strbuf t = STRBUF_INIT, h = STRBUF_INIT, link = STRBUF_INIT;
	cJSON *vars = cJSON_Parse(payload != NULL ? payload : "{}");
	const cJSON *task;
	const char *body, *nl;
	int rc;

	if (!cJSON_IsObject(vars)) {
		cJSON_Delete(vars);
		return tock_err_set(err, TOCK_EINVAL, "bad payload");
	}
	set_var(vars, "recipient", name);
	task = cJSON_GetObjectItemCaseSensitive(vars, "task_id");
	if (cJSON_IsString(task)) {
		if (*w->public_url != '\0')
			strbuf_addf(&link, "%s/api/v1/tasks/%s", w->public_url,
			    task->valuestring);
		else
			strbuf_addf(&link, "tock show %.8s", task->valuestring);
		set_var(vars, "link", link.buf);
	}
	if ((rc = read_template(&t, w->template_dir, kind, "txt", err)) != 0)
		goto out;
	if (read_template(&h, w->template_dir, kind, "html", NULL) != 0)
		strbuf_reset(&h);
	/* "Subject: ..." on the first line of the text template. */
	body = t.buf;
	if (strncmp(body, "Subject: ", 9) == 0 &&
	    (nl = strchr(body, '\n')) != NULL) {
		struct strbuf line = STRBUF_INIT;

		strbuf_add(&line, body + 9, (size_t)(nl - body - 9));
		render(subject, line.buf, vars, false);
		strbuf_release(&line);
		body = nl + 1;
	} else
		strbuf_addstr(subject, "tock notification");
	render(text, body, vars, false);
	if (h.len > 0)
		render(html, h.buf, vars, true);
out:
	cJSON_Delete(vars);
	strbuf_release(&t);
	strbuf_release(&h);
	strbuf_release(&link);
	return rc;
}

/* The bare domain of From, for Message-IDs. */
static void
from_domain(char *out, size_t n, const char *from)
{
	const char *at = strrchr(from, '@');
	size_t i = 0;

	if (at == NULL) {
		snprintf(out, n, "tock.invalid");
		return;
	}
	for (at++; *at != '\0' && *at != '>' && i + 1 < n; at++)
		out[i++] = *at;
	out[i] = '\0';
}

static void
write_metrics(const struct wcfg *w, const struct wstats *st)
{
	char tmp[1100];
	FILE *f;

	if (w->metrics_file == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", w->metrics_file);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("cannot write %s", tmp);
		return;
	}
	fprintf(f, "# HELP tock_notifications_sent_total Messages delivered "
	    "by this worker.\n# TYPE tock_notifications_sent_total counter\n"
	    "tock_notifications_sent_total %lld\n", st->sent);
	fprintf(f, "# HELP tock_notifications_failed_total Messages given "
	    "up on.\n# TYPE tock_notifications_failed_total counter\n"
	    "tock_notifications_failed_total %lld\n", st->failed);
	fprintf(f, "# HELP tock_notifications_retried_total Temporary "
	    "failures retried later.\n# TYPE tock_notifications_retried_total"
	    " counter\ntock_notifications_retried_total %lld\n", st->retried);
	fprintf(f, "# HELP tock_notifications_queue Notifications waiting."
	    "\n# TYPE tock_notifications_queue gauge\n"
	    "tock_notifications_queue %lld\n", st->queue);
	if (fclose(f) != 0 || rename(tmp, w->metrics_file) != 0)
		log_warn("cannot write %s", w->metrics_file);
}

/* Sleep ms, or less when a signal comes (SIGTERM sets *stop). */
static void
nap(long ms, volatile sig_atomic_t *stop)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!*stop)
		nanosleep(&ts, NULL);
}

/*
 * One claimed message, sent and recorded, in one transaction.  Returns
 * 1 when a message was handled, 0 when the queue had nothing due, or an
 * error code (the transaction is rolled back).
 */
static int
one_message(struct pg *pg, struct mailer *m, const struct wcfg *w,
    struct wstats *st, struct tock_err *err)
{
	struct pg_res *res = NULL;
	struct strbuf subject = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf html = STRBUF_INIT, to = STRBUF_INIT;
	struct tock_err serr = TOCK_ERR_INIT;
	char msgid[512], domain[256], delay[32], attempts_s[16];
	const char *id, *kind, *email, *name, *payload;
	long attempts;
	int rc, sent;
	bool in_tx = false;

	if ((rc = pg_begin(pg, NULL, err)) != 0)
		goto out;
	in_tx = true;
	if ((rc = pg_query(pg, &res, err, "SELECT id, kind, attempts, email,"
	    " name, payload FROM tock_notify_claim()", 0)) != 0)
		goto out;
	if (pg_nrows(res) == 0) {
		rc = pg_commit(pg, err);
		in_tx = false;
		goto out;
	}
	id = pg_value(res, 0, 0);
	kind = pg_value(res, 0, 1);
	attempts = strtol(pg_value(res, 0, 2), NULL, 10);
	email = pg_value(res, 0, 3);
	name = pg_value(res, 0, 4);
	payload = pg_value(res, 0, 5);
	from_domain(domain, sizeof domain, w->from);
	snprintf(msgid, sizeof msgid, "<tock.notification.%s@%s>", id, domain);

	if (compose(w, kind, name, payload, &subject, &text, &html,
	    &serr) != 0) {
		sent = TOCK_EINVAL;
	} else {
		struct mail msg;

		strbuf_addf(&to, "%s <%s>", name, email);
		memset(&msg, 0, sizeof msg);
		msg.from = w->from;
		msg.to = to.buf;
		msg.to_addr = email;
		msg.subject = subject.buf;
		msg.message_id = msgid;
		msg.text = text.buf;
		msg.html = html.len > 0 ? html.buf : NULL;
		sent = mailer_send(m, &msg, &serr);
	}
	snprintf(attempts_s, sizeof attempts_s, "%ld", attempts);
	if (sent == 0) {
		rc = pg_query(pg, NULL, err,
		    "SELECT tock_notify_finish($1, 'sent', NULL, NULL)", 1, id);
		if (rc == 0)
			st->sent++;
		log_info("notification %s (%s) sent to %s", id, kind, email);
	} else if (sent == TOCK_EBUSY && attempts < w->max_attempts) {
		/* Exponential backoff from retry_ms, capped at an hour. */
		long long d = w->retry_ms;
		long i;

		for (i = 1; i < attempts && d < 3600000; i++)
			d *= 2;
		if (d > 3600000)
			d = 3600000;
		snprintf(delay, sizeof delay, "%lld", d);
		rc = pg_query(pg, NULL, err, "SELECT tock_notify_finish($1,"
		    " 'pending', $2, $3::bigint)", 3, id, serr.msg, delay);
		if (rc == 0)
			st->retried++;
		log_warnx("notification %s to %s: %s; attempt %ld of %ld, "
		    "again in %lld ms", id, email, serr.msg, attempts,
		    w->max_attempts, d);
	} else {
		rc = pg_query(pg, NULL, err,
		    "SELECT tock_notify_finish($1, 'failed', $2, NULL)", 2, id,
		    serr.msg);
		if (rc == 0)
			st->failed++;
		log_warnx("notification %s to %s: %s; given up after %ld "
		    "attempt%s", id, email, serr.msg, attempts,
		    attempts == 1 ? "" : "s");
	}
	if (rc == 0 && (rc = pg_commit(pg, err)) == 0) {
		in_tx = false;
		rc = 1;
	}
out:
	if (in_tx)
		pg_rollback(pg);
	pg_res_free(res);
	strbuf_release(&subject);
	strbuf_release(&text);
	strbuf_release(&html);
	strbuf_release(&to);
	return rc;
}

/* Queue tasks due within a day (each once) and count the queue. */
static int
due_scan(struct pg *pg, struct wstats *st, struct tock_err *err)
{
	struct pg_res *res = NULL;
	int rc;

	if ((rc = pg_tx_query(pg, NULL, &res, err,
	    "SELECT tock_notify_due_scan()", 0, NULL)) != 0)
		return rc;
	if (pg_nrows(res) == 1 && pg_value(res, 0, 0) != NULL)
		st->queue = strtoll(pg_value(res, 0, 0), NULL, 10);
	pg_res_free(res);
	return 0;
}

int
notify_worker(const struct srv_config *cfg, volatile sig_atomic_t *stop)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct wstats st;
	struct wcfg w;
	struct mailer *m = NULL;
	struct pg *pg = NULL;
	int64_t next_due = 0, next_metrics = 0, now;
	long backoff = 0;
	int rc;

	memset(&st, 0, sizeof st);
	load_wcfg(&w);
	if (cfg->database_url == NULL) {
		log_warnx("no database: set TOCK_DATABASE_URL");
		return 1;
	}
	if (w.smtp_url == NULL) {
		log_warnx("no mail server: set TOCK_SMTP_URL "
		    "(smtp://host:port)");
		return 1;
	}
	if ((m = mailer_new(w.smtp_url, w.require_tls, w.smtp_ca, &err)) ==
	    NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	log_info("worker: sending through %s, templates in %s", w.smtp_url,
	    w.template_dir);
	while (!*stop) {
		if (pg == NULL && pg_connect(&pg, cfg->database_url, &err) != 0) {
			/* The database may be restarting: wait and retry. */
			log_warnx("%s", err.msg);
			pg = NULL;
			backoff = backoff == 0 ? 500 : backoff * 2;
			if (backoff > 30000)
				backoff = 30000;
			nap(backoff, stop);
			continue;
		}
		backoff = 0;
		now = time_now_ms();
		if (now >= next_due) {
			if (due_scan(pg, &st, &err) != 0)
				goto dberr;
			next_due = now + w.due_secs * 1000;
		}
		if (now >= next_metrics) {
			write_metrics(&w, &st);
			next_metrics = now + 10000;
		}
		rc = one_message(pg, m, &w, &st, &err);
		if (rc < 0)
			goto dberr;
		if (rc == 0)
			nap(w.poll_ms, stop);
		continue;
dberr:
		log_warnx("%s", err.msg);
		if (pg_recycle(pg) != 0) {
			pg_close(pg);
			pg = NULL;
		}
		nap(500, stop);
	}
	write_metrics(&w, &st);
	log_info("worker: stopped (%lld sent, %lld given up)", st.sent,
	    st.failed);
	pg_close(pg);
	mailer_free(m);
	return 0;
}
