/*
 * cmd_start.c - tock start: start the timer on a task.
 *
 *   tock start 3            a task by number or id prefix
 *   tock start "New thing"  creates the task when nothing matches
 *   tock start              resumes the last task (timew continue)
 *
 * A running timer stops at the same instant, in the same transaction.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "ops.h"
#include "output.h"
#include "strbuf.h"
#include "timeopt.h"
#include "timeparse.h"

#define COMMAND_NAME "start"

static const struct option opts[] = {
	{ "at", required_argument, NULL, 'A' },
	{ "note", required_argument, NULL, 'n' },
	{ "branch", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The task to start: an existing one named by ref, or with no ref the task
 * of the newest entry.  *is_title is set when ref names no task and should
 * become the title of a new one. */
static int
pick_task(struct tock_ctx *ctx, const char *ref, char id[UUID_STRLEN + 1],
    bool *is_title, struct tock_err *err)
{
	struct entry *last = NULL;
	int rc;

	*is_title = false;
	if (ref == NULL) {
		if ((rc = db_entry_last(ctx->db, &last, err)) != 0)
			return rc;
		snprintf(id, UUID_STRLEN + 1, "%s", last->task_id);
		entry_free(last);
		return 0;
	}
	rc = db_task_resolve(ctx->db, id, ref, err);
	/* A bare number that names no open task is a typo more likely than
	 * a title. */
	if (*ref == '\0' || (rc == TOCK_ENOTFOUND &&
	    strspn(ref, "0123456789") != strlen(ref))) {
		*is_title = true;
		return 0;
	}
	return rc;
}

int
cmd_start(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *at_s = NULL, *note = NULL, *branch = NULL;
	char task_id[UUID_STRLEN + 1], entry_id[UUID_STRLEN + 1];
	char when[32], dur[32], ref[16];
	struct fieldset fs = FIELDSET_INIT;
	struct entry *stopped = NULL, *e = NULL;
	struct task *t = NULL;
	int64_t now, at;
	bool created;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'A': at_s = optarg; break;
		case 'n': note = optarg; break;
		case 'b': branch = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind > 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give one task, or a title in quotes");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	at = now = db_now(ctx->db);
	if (at_s != NULL && (rc = timeopt_past(&at, "--at", at_s, now,
	    &err)) != 0)
		return out_fail(&err);
	if ((rc = pick_task(ctx, optind < argc ? argv[optind] : NULL, task_id,
	    &created, &err)) != 0)
		return out_fail(&err);
	/* Already on it: keep the entry rather than split it in two. */
	if (!created && at_s == NULL && note == NULL &&
	    db_entry_running(ctx->db, &e, NULL) == 0 &&
	    strcmp(e->task_id, task_id) == 0) {
		timefmt_local(when, sizeof when, e->start_time, "%H:%M");
		if (!ctx->json)
			printf("Already tracking '%s' since %s\n",
			    e->task_title ? e->task_title : "", when);
		else {
			struct strbuf sb = STRBUF_INIT;

			/* The same shape as a start, with nothing stopped. */
			strbuf_addstr(&sb, "{\"started\":");
			json_entry_encode(&sb, e, 0, now);
			strbuf_addstr(&sb, ",\"stopped\":null,"
			    "\"created_task\":false,\"already_running\":true}");
			out_json(&sb);
			strbuf_release(&sb);
		}
		entry_free(e);
		return EXIT_OK;
	}
	entry_free(e);
	e = NULL;
	if (created) {
		fieldset_text(&fs, "title", argv[optind]);
		if (branch != NULL)
			fieldset_text(&fs, "metadata.branch", branch);
		rc = ops_timer_start_new(ctx->db, &fs, at, note, task_id,
		    entry_id, &stopped, &err);
	} else {
		rc = ops_timer_start(ctx->db, task_id, at, note, entry_id,
		    &stopped, &err);
		/* --branch links the branch to an existing task too, as
		 * tock edit --branch would. */
		if (rc == 0 && branch != NULL) {
			fieldset_text(&fs, "metadata.branch", branch);
			rc = ops_task_update(ctx->db, task_id, &fs, &err);
		}
	}
	if (rc != 0 ||
	    (rc = db_entry_get(ctx->db, &e, entry_id, &err)) != 0 ||
	    (rc = db_task_get(ctx->db, &t, task_id, &err)) != 0) {
		entry_free(stopped);
		entry_free(e);
		return out_fail(&err);
	}
	if (ctx->json) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "{\"started\":");
		json_entry_encode(&sb, e, 0, now);
		strbuf_addstr(&sb, ",\"stopped\":");
		if (stopped != NULL)
			json_entry_encode(&sb, stopped, 0, now);
		else
			strbuf_addstr(&sb, "null");
		strbuf_addf(&sb, ",\"created_task\":%s,"
		    "\"already_running\":false}", created ? "true" : "false");
		out_json(&sb);
		strbuf_release(&sb);
	} else {
		if (stopped != NULL) {
			timefmt_local(when, sizeof when, stopped->end_time,
			    "%H:%M");
			timefmt_duration(dur, sizeof dur,
			    stopped->end_time - stopped->start_time);
			printf("Stopped '%s' at %s after %s\n",
			    stopped->task_title ? stopped->task_title : "",
			    when, dur);
		}
		if (created)
			printf("Added task %d: %s\n", t->num, t->title);
		out_task_ref(ref, sizeof ref, t);
		timefmt_local(when, sizeof when, at, "%H:%M");
		printf("Started %s'%s'%s (task %s) at %s\n", out_c(ctx, C_GREEN),
		    t->title, out_c(ctx, C_RESET), ref, when);
	}
	entry_free(stopped);
	entry_free(e);
	task_free(t);
	return EXIT_OK;
}
