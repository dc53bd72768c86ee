/* cmd_show.c - tock show: one task with its time entries and comments. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "show"

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct show {
	struct tock_ctx *ctx;
	struct strbuf *sb;	/* JSON array being built, or NULL */
	int64_t now;
	int n;
};

static int
show_entry(const struct entry *e, int at, void *arg)
{
	struct show *s = arg;
	struct tock_ctx *ctx = s->ctx;
	char from[32], to[32], dur[32];

	if (s->sb != NULL) {
		if (s->n++)
			strbuf_addch(s->sb, ',');
		json_entry_encode(s->sb, e, at, s->now);
		return 0;
	}
	if (s->n++ == 0)
		printf("\nTime entries:\n");
	timefmt_local(from, sizeof from, e->start_time, "%Y-%m-%d %H:%M");
	if (e->end_time < 0)
		snprintf(to, sizeof to, "%s", "now");
	else
		out_end_time(to, sizeof to, e);
	timefmt_duration(dur, sizeof dur, (e->end_time < 0 ? s->now :
	    e->end_time) - e->start_time);
	printf("  %s@%-3d%s %s–%-5s %7s%s%s%s\n", out_c(ctx, C_DIM), at,
	    out_c(ctx, C_RESET), from, to, dur, e->notes[0] ? "  " : "",
	    e->notes, e->end_time < 0 ? "  (running)" : "");
	return 0;
}

static int
show_comment(const struct comment *c, void *arg)
{
	struct show *s = arg;
	char when[32];

	if (s->sb != NULL) {
		if (s->n++)
			strbuf_addch(s->sb, ',');
		json_comment_encode(s->sb, c);
		return 0;
	}
	if (s->n++ == 0)
		printf("\nComments:\n");
	timefmt_local(when, sizeof when, c->created_at, "%Y-%m-%d %H:%M");
	printf("  %s %s: %s\n", when, c->author_name ? c->author_name : "?",
	    c->body);
	return 0;
}

static void
field(struct tock_ctx *ctx, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		printf("  %s%-10s%s %s\n", out_c(ctx, C_DIM), name,
		    out_c(ctx, C_RESET), value);
}

int
cmd_show(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct entry_filter f = { 0 };
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	struct show s = { 0 };
	struct task *t = NULL;
	char ref[16], buf[64], when[32], **tags;
	char *prio, *branch, *creator;
	int64_t tracked;
	int c, rc, i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "name one task");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if ((rc = out_load_task(ctx, argv[optind], &t)) != 0)
		return rc;
	s.ctx = ctx;
	s.now = db_now(ctx->db);
	f.since = INT64_MIN;
	f.until = INT64_MAX;
	f.task_id = t->id;
	if ((rc = db_task_tracked(ctx->db, t->id, s.now, &tracked, &err)) != 0)
		goto fail;
	if (ctx->json) {
		/* The task object, plus tracked time, entries and comments. */
		json_task_encode(&sb, t);
		strbuf_setlen(&sb, sb.len - 1);
		strbuf_addf(&sb, ",\"tracked_seconds\":%lld,\"entries\":[",
		    (long long)(tracked / 1000));
		s.sb = &sb;
		if ((rc = db_entry_list(ctx->db, &f, show_entry, &s, &err)) != 0)
			goto fail;
		strbuf_addstr(&sb, "],\"comments\":[");
		s.n = 0;
		if ((rc = db_comment_list(ctx->db, t->id, show_comment, &s,
		    &err)) != 0)
			goto fail;
		strbuf_addstr(&sb, "]}");
		out_json(&sb);
		goto out;
	}
	out_task_ref(ref, sizeof ref, t);
	printf("%sTask %s%s  %s%s\n", out_c(ctx, C_BOLD), ref,
	    t->deleted ? " (deleted)" : "", t->title, out_c(ctx, C_RESET));
	field(ctx, "id", t->id);
	snprintf(buf, sizeof buf, "%s%s", task_status_name(t->status),
	    t->running ? " (timer running)" : "");
	field(ctx, "status", buf);
	field(ctx, "due", t->due_date);
	field(ctx, "assignee", t->assignee_name ? t->assignee_name :
	    t->assignee_id);
	tags = json_meta_tags(t->metadata);
	for (i = 0; tags[i] != NULL; i++)
		strbuf_addf(&tmp, "%s%s", i ? ", " : "", tags[i]);
	json_strv_free(tags);
	field(ctx, "tags", tmp.buf);
	prio = json_meta_string(t->metadata, "priority");
	field(ctx, "priority", prio);
	free(prio);
	branch = json_meta_string(t->metadata, "branch");
	field(ctx, "branch", branch);
	free(branch);
	creator = db_user_name(ctx->db, t->created_by);
	timefmt_local(when, sizeof when, t->created_at, "%Y-%m-%d %H:%M");
	strbuf_reset(&tmp);
	strbuf_addf(&tmp, "%s%s%s", when, creator ? " by " : "",
	    creator ? creator : "");
	free(creator);
	field(ctx, "created", tmp.buf);
	timefmt_local(when, sizeof when, t->updated_at, "%Y-%m-%d %H:%M");
	field(ctx, "updated", when);
	timefmt_duration(buf, sizeof buf, tracked);
	field(ctx, "tracked", buf);
	if (t->description[0] != '\0')
		printf("\n%s\n", t->description);
	if ((rc = db_entry_list(ctx->db, &f, show_entry, &s, &err)) != 0)
		goto fail;
	s.n = 0;
	if ((rc = db_comment_list(ctx->db, t->id, show_comment, &s, &err)) != 0)
		goto fail;
out:
	strbuf_release(&sb);
	strbuf_release(&tmp);
	task_free(t);
	return EXIT_OK;
fail:
	strbuf_release(&sb);
	strbuf_release(&tmp);
	task_free(t);
	return out_fail(&err);
}
