/* cmd_ls.c - tock ls: list tasks, open ones by number by default. */
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
#include "text.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "ls"

static const struct option opts[] = {
	{ "status", required_argument, NULL, 's' },
	{ "tag", required_argument, NULL, 't' },
	{ "mine", no_argument, NULL, 'M' },
	{ "due-before", required_argument, NULL, 'B' },
	{ "all", no_argument, NULL, 'a' },
	{ "deleted", no_argument, NULL, 'X' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct row {
	char ref[16];
	char status[16];
	char due[11];
	bool running, overdue;
	char *title;
	char *tags;
};

struct rows {
	struct tock_ctx *ctx;
	struct strbuf json;
	struct row *v;
	size_t n, alloc;
	char today[11];
};

static int
collect(const struct task *t, void *arg)
{
	struct rows *r = arg;
	struct strbuf tags = STRBUF_INIT;
	struct row *row;
	char **tv;
	int i;

	if (r->ctx->json) {
		if (r->json.len > 1)
			strbuf_addch(&r->json, ',');
		json_task_encode(&r->json, t);
		return 0;
	}
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 64;
		r->v = xrealloc(r->v, r->alloc * sizeof *r->v);
	}
	row = &r->v[r->n++];
	memset(row, 0, sizeof *row);
	out_task_ref(row->ref, sizeof row->ref, t);
	snprintf(row->status, sizeof row->status, "%s",
	    task_status_name(t->status));
	snprintf(row->due, sizeof row->due, "%s", t->due_date);
	row->running = t->running;
	row->overdue = t->due_date[0] && task_status_open(t->status) &&
	    strcmp(t->due_date, r->today) < 0;
	row->title = xstrdup(t->title);
	tv = json_meta_tags(t->metadata);
	for (i = 0; tv[i] != NULL; i++)
		strbuf_addf(&tags, "%s+%s", i ? " " : "", tv[i]);
	json_strv_free(tv);
	row->tags = strbuf_detach(&tags, NULL);
	return 0;
}

static void
print_rows(struct rows *r)
{
	struct tock_ctx *ctx = r->ctx;
	struct strbuf line = STRBUF_INIT;
	int refw = 1, titlew, i;
	size_t k;

	for (k = 0; k < r->n; k++)
		if ((int)strlen(r->v[k].ref) > refw)
			refw = (int)strlen(r->v[k].ref);
	/* marker, ref, status, due, then the title takes what is left. */
	titlew = ctx->width ? ctx->width - (2 + refw + 2 + 11 + 2 + 10 + 2) :
	    0;
	if (ctx->width && titlew < 10)
		titlew = 10;
	printf("%s  %*s  %-11s  %-10s  %s%s\n", out_c(ctx, C_DIM), refw, "#",
	    "Status", "Due", "Title", out_c(ctx, C_RESET));
	for (k = 0; k < r->n; k++) {
		struct row *row = &r->v[k];

		strbuf_reset(&line);
		if (titlew) {
			int tagw = text_width(row->tags);
			int room = titlew - (tagw ? tagw + 2 : 0);

			if (room < titlew / 2)
				room = titlew;
			text_add_fit(&line, row->title, room, false);
			if (tagw && room < titlew) {
				strbuf_addstr(&line, "  ");
				text_add_fit(&line, row->tags,
				    titlew - text_width(line.buf), false);
			}
		} else {
			strbuf_addstr(&line, row->title);
			if (row->tags[0])
				strbuf_addf(&line, "  %s", row->tags);
		}
		printf("%s%s%s %s%*s%s  %-11s  %s%-10s%s  %s\n",
		    out_c(ctx, C_GREEN), row->running ? "▶" : " ",
		    out_c(ctx, C_RESET), out_c(ctx, C_BOLD), refw, row->ref,
		    out_c(ctx, C_RESET), row->status,
		    out_c(ctx, row->overdue ? C_RED : C_RESET), row->due,
		    out_c(ctx, C_RESET), line.buf);
	}
	strbuf_release(&line);
	i = (int)r->n;
	printf("%d task%s\n", i, i == 1 ? "" : "s");
}

int
cmd_ls(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct task_filter f = { 0 };
	struct rows r = { 0 };
	char before[11], me[UUID_STRLEN + 1];
	const char *due_before = NULL;
	enum task_status st;
	bool mine = false;
	size_t k;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:t:ah", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "all") == 0) {
				f.status_mask = 0xf;
				break;
			}
			if (task_status_parse(&st, optarg, &err) != 0)
				return out_fail(&err);
			f.status_mask |= 1u << st;
			break;
		case 't': f.tag = optarg; break;
		case 'M': mine = true; break;
		case 'B': due_before = optarg; break;
		case 'a': f.status_mask = 0xf; break;
		case 'X': f.deleted = true; f.status_mask = 0xf; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind != argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "ls takes no arguments");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (mine) {
		snprintf(me, sizeof me, "%s", db_user_id(ctx->db));
		f.assignee_id = me;
	}
	if (due_before != NULL) {
		if (timeparse_date(before, due_before, db_now(ctx->db),
		    &err) != 0)
			return out_fail(&err);
		f.due_before = before;
	}
	r.ctx = ctx;
	timefmt_local(r.today, sizeof r.today, db_now(ctx->db), "%Y-%m-%d");
	if (ctx->json)
		strbuf_addch(&r.json, '[');
	rc = db_task_list(ctx->db, &f, collect, &r, &err);
	if (rc == 0) {
		if (ctx->json) {
			strbuf_addch(&r.json, ']');
			out_json(&r.json);
		} else
			print_rows(&r);
	}
	strbuf_release(&r.json);
	for (k = 0; k < r.n; k++) {
		free(r.v[k].title);
		free(r.v[k].tags);
	}
	free(r.v);
	return rc ? out_fail(&err) : EXIT_OK;
}
