/* output.c - errors, usage, colour and small renderings (see output.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"
#include "xmalloc.h"
#include "db.h"
#include "timeparse.h"

int
out_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

int
out_exit_status(int code)
{
	switch (code) {
	case TOCK_OK:
		return EXIT_OK;
	case TOCK_ENOTFOUND:
		return EXIT_NOTFOUND;
	case TOCK_EAMBIGUOUS:
		return EXIT_AMBIGUOUS;
	case TOCK_ECONFLICT:
	case TOCK_EFORBIDDEN:
		return EXIT_CONFLICT;
	case TOCK_EAUTH:
		return EXIT_NOLOGIN;
	default:
		return EXIT_ERROR;
	}
}

int
out_fail(const struct tock_err *err)
{
	out_error("%s", err->msg[0] ? err->msg : "unknown error");
	return out_exit_status(err->code ? err->code : TOCK_ERR);
}

int
out_usage(const char *cmd, int status, const char *msg)
{
	const struct cmd_entry *c = cmd_find(cmd);
	FILE *f = status == 0 ? stdout : stderr;

	if (msg != NULL)
		fprintf(stderr, "tock: %s\n", msg);
	if (c != NULL) {
		fprintf(f, "usage: tock %s\n", c->usage);
		if (status == 0)
			fprintf(f, "\n%s.\nSee 'man tock' for details.\n",
			    c->desc);
	}
	return status;
}

const char *
out_c(const struct tock_ctx *ctx, const char *sgr)
{
	static char buf[4][16];
	static int slot;

	if (!ctx->color)
		return "";
	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof buf[slot], "\033[%sm", sgr);
	return buf[slot];
}

void
out_task_ref(char *buf, size_t n, const struct task *t)
{
	if (t->num > 0)
		snprintf(buf, n, "%d", t->num);
	else
		snprintf(buf, n, "%.13s", t->id);
}

void
out_entry_task_ref(char *buf, size_t n, const struct entry *e)
{
	if (e->task_num > 0)
		snprintf(buf, n, "%d", e->task_num);
	else if (e->task_id[0] != '\0')
		snprintf(buf, n, "%.13s", e->task_id);
	else
		snprintf(buf, n, "-");
}

void
out_json(struct strbuf *sb)
{
	fwrite(sb->buf, 1, sb->len, stdout);
	fputc('\n', stdout);
}

void
out_task_json(const struct task *t)
{
	struct strbuf sb = STRBUF_INIT;

	json_task_encode(&sb, t);
	out_json(&sb);
	strbuf_release(&sb);
}

void
out_entry_json(const struct entry *e, int64_t now)
{
	struct strbuf sb = STRBUF_INIT;

	json_entry_encode(&sb, e, 0, now);
	out_json(&sb);
	strbuf_release(&sb);
}

char *
out_read_stdin(size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[4096];
	size_t n;

	strbuf_init(&sb, max);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (strbuf_add(&sb, chunk, n) != 0) {
			strbuf_release(&sb);
			return NULL;
		}
	}
	/* A trailing newline from echo or a heredoc is not part of it. */
	while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

int
out_load_task(struct tock_ctx *ctx, const char *ref, struct task **out)
{
	struct tock_err err = TOCK_ERR_INIT;
	char id[UUID_STRLEN + 1];

	if (db_task_resolve(ctx->db, id, ref, &err) != 0 ||
	    db_task_get(ctx->db, out, id, &err) != 0)
		return out_fail(&err);
	return 0;
}

void
out_when(char *buf, size_t n, int64_t ms, int64_t now)
{
	int64_t today = time_day_start(now);

	if (ms >= today && ms < time_day_next(today))
		timefmt_local(buf, n, ms, "%H:%M");
	else if (ms < today && ms >= today - 6 * 86400000LL)
		timefmt_local(buf, n, ms, "%a %d %H:%M");
	else
		timefmt_local(buf, n, ms, "%Y-%m-%d %H:%M");
}

void
out_end_time(char *buf, size_t n, const struct entry *e)
{
	int64_t d = time_day_start(e->start_time);
	char hm[8];
	int days = 0;

	if (e->end_time < 0) {
		snprintf(buf, n, "%s", "");
		return;
	}
	while (time_day_next(d) <= e->end_time) {
		d = time_day_next(d);
		days++;
	}
	timefmt_local(hm, sizeof hm, e->end_time, "%H:%M");
	if (days > 0)
		snprintf(buf, n, "%s+%d", hm, days);
	else
		snprintf(buf, n, "%s", hm);
}
