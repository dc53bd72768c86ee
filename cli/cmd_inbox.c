/*
 * cmd_inbox.c - tock inbox: the notifications that concern you, offline.
 *
 *   tock inbox [--all] [--json]     unread ones, newest first (--all: all)
 *   tock inbox read N|--all         mark one, or every one, read
 *
 * They come from the server with sync (the user's private scope), so the
 * inbox reads the local replica only and never waits on the network:
 *
 *   3  2026-11-25 09:30  ann assigned you: Fix the build
 *   2  2026-11-25 09:10  bob commented on "Write docs": Almost done
 *
 * --json: [{"n","id","kind","created_at","read","payload":{...}}], the
 * payload as the server wrote it (task_id, title, by, workspace, and
 * comment or due_date by kind).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "inbox.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"
#include "timeparse.h"

#define COMMAND_NAME "inbox"

static const struct option opts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct list {
	struct tock_ctx *ctx;
	struct strbuf sb;
	int n;
};

/* One line of text for a notification, from its payload. */
static void
describe(struct strbuf *sb, const char *kind, const char *payload)
{
	char *by = json_meta_string(payload, "by");
	char *title = json_meta_string(payload, "title");
	char *comment = json_meta_string(payload, "comment");
	char *due = json_meta_string(payload, "due_date");
	const char *who = by != NULL ? by : "Someone";
	const char *what = title != NULL ? title : "a task";

	if (strcmp(kind, "assigned") == 0)
		strbuf_addf(sb, "%s assigned you: %s", who, what);
	else if (strcmp(kind, "comment") == 0) {
		strbuf_addf(sb, "%s commented on \"%s\"", who, what);
		if (comment != NULL) {
			const char *nl = strchr(comment, '\n');

			/* The first line only: the list stays one line each. */
			strbuf_addstr(sb, ": ");
			if (nl != NULL)
				strbuf_addf(sb, "%.*s...", (int)(nl - comment),
				    comment);
			else
				strbuf_addstr(sb, comment);
		}
	} else if (strcmp(kind, "due") == 0)
		strbuf_addf(sb, "due %s: %s", due != NULL ? due : "soon", what);
	else
		strbuf_addf(sb, "%s: %s", kind, what);
	free(by);
	free(title);
	free(comment);
	free(due);
}

static int
print_item(const struct inbox_item *it, void *arg)
{
	struct list *l = arg;
	struct tock_ctx *ctx = l->ctx;
	struct strbuf line = STRBUF_INIT;
	char when[40];

	if (ctx->json) {
		timefmt_iso_utc(when, sizeof when, it->created_at);
		strbuf_addf(&l->sb, "%s{\"n\":%lld,\"id\":", l->n ? "," : "",
		    (long long)it->n);
		strbuf_add_json_str(&l->sb, it->id);
		strbuf_addstr(&l->sb, ",\"kind\":");
		strbuf_add_json_str(&l->sb, it->kind);
		strbuf_addstr(&l->sb, ",\"created_at\":");
		strbuf_add_json_str(&l->sb, when);
		strbuf_addf(&l->sb, ",\"read\":%s,\"payload\":%s}",
		    it->read ? "true" : "false", it->payload);
		l->n++;
		return 0;
	}
	timefmt_local(when, sizeof when, it->created_at, "%Y-%m-%d %H:%M");
	describe(&line, it->kind, it->payload);
	printf("%s%3lld  %s  %s%s\n", it->read ? out_c(ctx, C_DIM) :
	    out_c(ctx, C_BOLD), (long long)it->n, when, line.buf,
	    out_c(ctx, C_RESET));
	strbuf_release(&line);
	l->n++;
	return 0;
}

static int
inbox_read(int argc, char **argv, bool all, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t n = 0;
	int changed, rc;
	char *end;

	if (all == (argc == 1))
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "inbox read takes a number, or --all");
	if (argc == 1) {
		n = strtoll(argv[0], &end, 10);
		if (*argv[0] == '\0' || *end != '\0' || n <= 0)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "a notification is named by its number in "
			    "'tock inbox'");
	}
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (db_inbox_read(ctx->db, n, &changed, &err) != 0)
		return out_fail(&err);
	if (n > 0)
		printf("Marked notification %lld read\n", (long long)n);
	else
		printf("Marked %d notification%s read\n", changed,
		    changed == 1 ? "" : "s");
	return EXIT_OK;
}

int
cmd_inbox(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct list l = { .ctx = ctx };
	bool all = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "read") != 0) {
			out_error("unknown inbox command '%s'", argv[optind]);
			return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
		return inbox_read(argc - optind - 1, argv + optind + 1, all,
		    ctx);
	}
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	strbuf_init(&l.sb, 0);
	strbuf_addch(&l.sb, '[');
	rc = db_inbox_list(ctx->db, all, print_item, &l, &err);
	if (rc == 0 && ctx->json) {
		strbuf_addch(&l.sb, ']');
		out_json(&l.sb);
	} else if (rc == 0 && l.n == 0)
		printf(all ? "No notifications\n" : "No unread notifications\n");
	strbuf_release(&l.sb);
	return rc ? out_fail(&err) : EXIT_OK;
}
