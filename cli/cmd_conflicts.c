/*
 * cmd_conflicts.c - tock conflicts: edits that lost to a concurrent edit.
 *
 *   tock conflicts [--all] [--json]     unseen ones (--all: every one)
 *   tock conflicts seen [ID]            mark one, or all, as seen
 *
 * When two replicas edit the same text field concurrently the newer edit
 * wins, and the losing text is kept in the conflicts table instead of
 * being dropped (DESIGN.md "Merge").  Newest first, two lines each:
 *
 *   #3  2025-11-20 09:30  task 2 "Write docs"  description
 *       lost: "the old text"
 *
 * The lost value is shown as JSON, so an empty or null value is visible.
 * --json: [{"id","entity","entity_id","task","title","field","lost",
 * "loser_hlc","winner_hlc","detected_at","seen"}].
 */
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
#include "sync.h"
#include "timeparse.h"

#define COMMAND_NAME "conflicts"

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

/* The task's short number, 0 when it has none (closed) or is unknown. */
static int
task_num(struct tock_ctx *ctx, const char *id)
{
	struct task *t = NULL;
	int num = 0;

	if (db_task_get(ctx->db, &t, id, NULL) == 0) {
		num = t->num;
		task_free(t);
	}
	return num;
}

static int
print_conflict(const struct sync_conflict *c, void *arg)
{
	struct list *l = arg;
	struct tock_ctx *ctx = l->ctx;
	const char *lost = c->loser_value != NULL ? c->loser_value : "null";
	bool is_task = c->entity != NULL && strcmp(c->entity, "task") == 0;
	int num = is_task && c->entity_id != NULL ?
	    task_num(ctx, c->entity_id) : 0;
	char when[40], ref[24];

	if (ctx->json) {
		struct strbuf *sb = &l->sb;

		strbuf_addf(sb, "%s{\"id\":%lld,\"entity\":", l->n ? "," : "",
		    (long long)c->id);
		strbuf_add_json_str(sb, c->entity != NULL ? c->entity : "");
		strbuf_addstr(sb, ",\"entity_id\":");
		strbuf_add_json_str(sb, c->entity_id != NULL ? c->entity_id :
		    "");
		if (num > 0)
			strbuf_addf(sb, ",\"task\":%d", num);
		else
			strbuf_addstr(sb, ",\"task\":null");
		strbuf_addstr(sb, ",\"title\":");
		if (c->title != NULL)
			strbuf_add_json_str(sb, c->title);
		else
			strbuf_addstr(sb, "null");
		strbuf_addstr(sb, ",\"field\":");
		strbuf_add_json_str(sb, c->field != NULL ? c->field : "");
		/* The stored value is JSON; anything else goes as a string. */
		strbuf_addstr(sb, ",\"lost\":");
		if (json_validate(lost, 1 << 20, NULL) == 0)
			strbuf_addstr(sb, lost);
		else
			strbuf_add_json_str(sb, lost);
		strbuf_addstr(sb, ",\"loser_hlc\":");
		strbuf_add_json_str(sb, c->loser_hlc != NULL ? c->loser_hlc :
		    "");
		strbuf_addstr(sb, ",\"winner_hlc\":");
		strbuf_add_json_str(sb, c->winner_hlc != NULL ?
		    c->winner_hlc : "");
		timefmt_iso_utc(when, sizeof when, c->detected_at);
		strbuf_addstr(sb, ",\"detected_at\":");
		strbuf_add_json_str(sb, when);
		strbuf_addf(sb, ",\"seen\":%s}", c->seen ? "true" : "false");
		l->n++;
		return 0;
	}
	if (num > 0)
		snprintf(ref, sizeof ref, "task %d", num);
	else
		snprintf(ref, sizeof ref, "%s %.13s",
		    c->entity != NULL ? c->entity : "?",
		    c->entity_id != NULL ? c->entity_id : "?");
	timefmt_local(when, sizeof when, c->detected_at, "%Y-%m-%d %H:%M");
	printf("%s#%lld%s  %s  %s", out_c(ctx, C_BOLD), (long long)c->id,
	    out_c(ctx, C_RESET), when, ref);
	if (c->title != NULL)
		printf(" \"%s\"", c->title);
	printf("  %s%s\n", c->field != NULL ? c->field : "?",
	    c->seen ? "  (seen)" : "");
	printf("    lost: %s\n", lost);
	l->n++;
	return 0;
}

int
cmd_conflicts(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct list l = { .ctx = ctx };
	bool all = false;
	int64_t id = 0;
	char *end;
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
		if (strcmp(argv[optind], "seen") != 0) {
			out_error("unknown conflicts command '%s'",
			    argv[optind]);
			return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
		if (all || argc - optind > 2)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "conflicts seen takes one conflict id, or none");
		if (argc - optind == 2) {
			const char *a = argv[optind + 1];

			if (*a == '#')
				a++;
			id = strtoll(a, &end, 10);
			if (*a == '\0' || *end != '\0' || id <= 0)
				return out_usage(COMMAND_NAME, EXIT_USAGE,
				    "a conflict id is a number (#3 or 3)");
		}
		if ((rc = cmd_db(ctx)) != 0)
			return rc;
		if (sync_conflict_seen(ctx->db, id, &err) != 0)
			return out_fail(&err);
		if (id > 0)
			printf("Marked conflict #%lld as seen\n",
			    (long long)id);
		else
			printf("Marked all conflicts as seen\n");
		return EXIT_OK;
	}
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	strbuf_init(&l.sb, 0);
	strbuf_addch(&l.sb, '[');
	rc = sync_conflict_list(ctx->db, all, print_conflict, &l, &err);
	if (rc == 0 && ctx->json) {
		strbuf_addch(&l.sb, ']');
		out_json(&l.sb);
	} else if (rc == 0 && l.n == 0)
		printf(all ? "No conflicts\n" : "No unseen conflicts\n");
	strbuf_release(&l.sb);
	return rc ? out_fail(&err) : EXIT_OK;
}
