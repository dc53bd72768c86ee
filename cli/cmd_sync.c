/*
 * cmd_sync.c - tock sync: sync now, or show the sync state.
 *
 *   tock sync [--wait] [--timeout SECS] [--json]
 *   tock sync status [--json]
 *   tock sync quarantine [--json]
 *
 * tock sync asks a running daemon for a round on its control socket, or,
 * with none running, runs one through tock-syncd --once.  --wait retries
 * (0.2 s doubling to 5 s) until a round succeeds with nothing left in the
 * outbox, for at most --timeout seconds (default 60).
 *
 * sync status and sync quarantine read only the replica (and ask a local
 * daemon how it is, briefly): they never touch the network.  The JSON
 * shapes are in tock(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "output.h"
#include "strbuf.h"
#include "sync.h"
#include "syncd_exec.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "sync"
#define DAEMON_STATUS_MS 300	/* sync status waits no longer than this */

static const struct option opts[] = {
	{ "wait", no_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
json_str_or_null(struct strbuf *sb, const char *s)
{
	if (s != NULL)
		strbuf_add_json_str(sb, s);
	else
		strbuf_addstr(sb, "null");
}

static void
json_time_or_null(struct strbuf *sb, int64_t ms)
{
	char iso[40];

	if (ms <= 0) {
		strbuf_addstr(sb, "null");
		return;
	}
	timefmt_iso_utc(iso, sizeof iso, ms);
	strbuf_add_json_str(sb, iso);
}

static const char *
plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ---- tock sync status ------------------------------------------------ */

static int
sync_status(struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct sync_status s;
	struct strbuf sb = STRBUF_INIT;
	char *answer = NULL, *derr = NULL, when[32];
	bool running, online = false, have_online = false;
	int64_t now = time_now_ms();
	int i;

	memset(&s, 0, sizeof s);
	if (sync_status_get(ctx->db, &s, &err) != 0)
		return out_fail(&err);
	running = syncd_ask("{\"cmd\":\"status\"}", DAEMON_STATUS_MS, &answer,
	    NULL) == 0;
	if (running) {
		have_online = json_get_bool(answer, "online", &online);
		derr = json_get_str(answer, "last_error");
	}
	if (ctx->json) {
		strbuf_addf(&sb, "{\"logged_in\":%s,\"server_url\":",
		    s.server_url != NULL ? "true" : "false");
		json_str_or_null(&sb, s.server_url);
		strbuf_addstr(&sb, ",\"email\":");
		json_str_or_null(&sb, s.server_url ? s.email : NULL);
		strbuf_addstr(&sb, ",\"user_id\":");
		json_str_or_null(&sb, s.user_id);
		strbuf_addstr(&sb, ",\"device_id\":");
		json_str_or_null(&sb, s.server_url ? s.device_id : NULL);
		strbuf_addstr(&sb, ",\"last_sync\":");
		json_time_or_null(&sb, s.last_sync);
		strbuf_addstr(&sb, ",\"last_error\":");
		json_str_or_null(&sb, s.last_error);
		strbuf_addf(&sb, ",\"pending\":%lld,\"quarantined\":%lld,"
		    "\"conflicts\":%lld,\"scopes\":[", (long long)s.pending,
		    (long long)s.quarantined, (long long)s.conflicts);
		for (i = 0; i < s.nscopes; i++) {
			struct sync_scope_status *sc = &s.scopes[i];

			strbuf_addstr(&sb, i ? ",{\"id\":" : "{\"id\":");
			strbuf_add_json_str(&sb, sc->id);
			strbuf_addstr(&sb, ",\"name\":");
			json_str_or_null(&sb, sc->name[0] ? sc->name : NULL);
			strbuf_addf(&sb, ",\"cursor\":%lld,\"head\":",
			    (long long)sc->cursor);
			if (sc->head >= 0)
				strbuf_addf(&sb, "%lld", (long long)sc->head);
			else
				strbuf_addstr(&sb, "null");
			strbuf_addstr(&sb, ",\"state\":");
			strbuf_add_json_str(&sb, sc->state);
			strbuf_addch(&sb, '}');
		}
		strbuf_addf(&sb, "],\"daemon\":{\"running\":%s,\"online\":",
		    running ? "true" : "false");
		strbuf_addstr(&sb, have_online ? (online ? "true" : "false") :
		    "null");
		strbuf_addstr(&sb, "}}");
		out_json(&sb);
		strbuf_release(&sb);
		goto out;
	}
	if (s.server_url != NULL)
		printf("Server:       %s (%s)\n", s.server_url,
		    s.email != NULL ? s.email : "?");
	else
		printf("Server:       not logged in\n");
	timefmt_ago(when, sizeof when, s.last_sync, now);
	printf("Last sync:    %s\n", when);
	if (s.last_error != NULL)
		printf("Last error:   %s\n", s.last_error);
	printf("Pending:      %lld %s\n", (long long)s.pending,
	    plural(s.pending, "change", "changes"));
	printf("Quarantined:  %lld%s\n", (long long)s.quarantined,
	    s.quarantined > 0 ? " (tock sync quarantine)" : "");
	printf("Conflicts:    %lld unseen%s\n", (long long)s.conflicts,
	    s.conflicts > 0 ? " (tock conflicts)" : "");
	for (i = 0; i < s.nscopes; i++) {
		struct sync_scope_status *sc = &s.scopes[i];
		char head[24];

		if (sc->head >= 0)
			snprintf(head, sizeof head, "%lld",
			    (long long)sc->head);
		else
			snprintf(head, sizeof head, "?");
		if (i == 0)
			printf("Scopes:\n");
		printf("  %-20s %.13s  %lld/%s  %s\n", sc->name[0] ? sc->name :
		    (strncmp(sc->id, "u:", 2) == 0 ? "(private)" : "?"),
		    strncmp(sc->id, "u:", 2) == 0 ? sc->id + 2 : sc->id,
		    (long long)sc->cursor, head, sc->state);
	}
	if (!running)
		printf("Daemon:       not running\n");
	else {
		printf("Daemon:       running, %s%s%s\n", have_online && online ?
		    "online" : "offline", derr != NULL ? ": " : "",
		    derr != NULL ? derr : "");
	}
out:
	free(answer);
	free(derr);
	sync_status_release(&s);
	return EXIT_OK;
}

/* ---- tock sync quarantine -------------------------------------------- */

struct qlist {
	struct tock_ctx *ctx;
	struct strbuf sb;
	int n;
};

static int
print_quarantined(const struct sync_quarantined *q, void *arg)
{
	struct qlist *l = arg;
	char *e = json_get_str(q->payload, "e"), *eid = json_get_str(q->payload,
	    "eid"), *kind = json_get_str(q->payload, "kind");
	char when[40];

	if (l->ctx->json) {
		struct strbuf *sb = &l->sb;

		strbuf_addstr(sb, l->n ? ",{\"op_id\":" : "{\"op_id\":");
		strbuf_add_json_str(sb, q->op_id);
		strbuf_addstr(sb, ",\"scope\":");
		json_str_or_null(sb, q->scope);
		strbuf_addstr(sb, ",\"entity\":");
		json_str_or_null(sb, e);
		strbuf_addstr(sb, ",\"entity_id\":");
		json_str_or_null(sb, eid);
		strbuf_addstr(sb, ",\"kind\":");
		json_str_or_null(sb, kind);
		strbuf_addstr(sb, ",\"code\":");
		strbuf_add_json_str(sb, q->code);
		strbuf_addstr(sb, ",\"message\":");
		json_str_or_null(sb, q->message);
		strbuf_addstr(sb, ",\"rejected_at\":");
		json_time_or_null(sb, q->rejected_at);
		strbuf_addstr(sb, ",\"op\":");
		strbuf_addstr(sb, q->payload);
		strbuf_addch(sb, '}');
	} else {
		timefmt_local(when, sizeof when, q->rejected_at,
		    "%Y-%m-%d %H:%M");
		printf("%s  %-9s %s %s %.13s: %s\n", when, q->code,
		    kind != NULL ? kind : "?", e != NULL ? e : "?",
		    eid != NULL ? eid : "?",
		    q->message != NULL ? q->message : "");
	}
	l->n++;
	free(e);
	free(eid);
	free(kind);
	return 0;
}

static int
sync_quarantine(struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct qlist l = { .ctx = ctx };
	int rc;

	strbuf_init(&l.sb, 0);
	strbuf_addch(&l.sb, '[');
	rc = sync_quarantine_list(ctx->db, print_quarantined, &l, &err);
	if (rc == 0 && ctx->json) {
		strbuf_addch(&l.sb, ']');
		out_json(&l.sb);
	} else if (rc == 0 && l.n == 0)
		printf("No quarantined changes\n");
	strbuf_release(&l.sb);
	return rc ? out_fail(&err) : EXIT_OK;
}

/* ---- tock sync --------------------------------------------------------- */

/* A daemon's answer to {"cmd":"sync"} as an exit status; prints it. */
static int
daemon_answer(struct tock_ctx *ctx, const char *answer, bool quiet)
{
	bool ok = false;
	int64_t pushed = 0, pulled = 0;
	char *code, *msg;
	int status;

	json_get_bool(answer, "ok", &ok);
	if (ok) {
		json_get_int(answer, "pushed", &pushed);
		json_get_int(answer, "pulled", &pulled);
		if (quiet)
			return EXIT_OK;
		if (ctx->json)
			printf("%s\n", answer);
		else
			printf("Synced: pushed %lld, pulled %lld\n",
			    (long long)pushed, (long long)pulled);
		return EXIT_OK;
	}
	code = json_get_str(answer, "code");
	msg = json_get_str(answer, "message");
	if (code != NULL && (strcmp(code, "offline") == 0 ||
	    strcmp(code, "auth") == 0))
		status = EXIT_NOLOGIN;
	else if (code != NULL && strcmp(code, "rejected") == 0)
		status = EXIT_CONFLICT;
	else
		status = EXIT_ERROR;
	if (!quiet) {
		if (ctx->json)
			printf("%s\n", answer);
		out_error("sync failed: %s", msg != NULL ? msg :
		    (code != NULL ? code : "unknown error"));
	}
	free(code);
	free(msg);
	return status;
}

/*
 * One round: through the daemon when one answers, else tock-syncd --once.
 * quiet: keep the output (in out and errout) for the caller to show.
 */
static int
one_round(struct tock_ctx *ctx, int timeout_ms, bool quiet,
    struct strbuf *out, struct strbuf *errout)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *args[6];
	char *answer = NULL;
	int n = 0, rc;

	rc = syncd_ask("{\"cmd\":\"sync\"}", timeout_ms, &answer, &err);
	if (rc == 0) {
		rc = daemon_answer(ctx, answer, quiet);
		if (quiet && rc != 0) {
			char *msg = json_get_str(answer, "message");

			strbuf_addf(errout, "tock: sync failed: %s\n",
			    msg != NULL ? msg : answer);
			free(msg);
		}
		free(answer);
		return rc;
	}
	if (rc != TOCK_ENOTFOUND) {
		if (quiet) {
			strbuf_addf(errout, "tock: %s\n", err.msg);
			return EXIT_ERROR;
		}
		return out_fail(&err);
	}
	args[n++] = "--once";
	if (ctx->json)
		args[n++] = "--json";
	args[n++] = "--db";
	args[n++] = ctx->db_path;
	args[n] = NULL;
	rc = syncd_run(args, NULL, quiet ? out : NULL, quiet ? errout : NULL,
	    &err);
	if (rc < 0) {
		if (quiet)
			strbuf_addf(errout, "tock: %s\n", err.msg);
		else
			out_fail(&err);
		return EXIT_ERROR;
	}
	return rc;
}

static int
sync_now(struct tock_ctx *ctx, bool wait, int64_t timeout_s)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf out = STRBUF_INIT, errout = STRBUF_INIT;
	int64_t deadline = mono_ms() + timeout_s * 1000, backoff = 200;
	int64_t pending = 0, left;
	char *url = NULL;
	int rc;

	if ((rc = sync_server_url(ctx->db, &url, &err)) != 0) {
		if (rc == TOCK_EAUTH) {
			out_error("not logged in: run 'tock login URL'");
			return EXIT_NOLOGIN;
		}
		return out_fail(&err);
	}
	free(url);
	if (!wait)
		return one_round(ctx, (int)(timeout_s * 1000), false, NULL,
		    NULL);
	for (;;) {
		strbuf_reset(&out);
		strbuf_reset(&errout);
		left = deadline - mono_ms();
		rc = one_round(ctx, (int)(left > 1000 ? left : 1000), true,
		    &out, &errout);
		if (rc == 0 && db_outbox_count(ctx->db, &pending, &err) != 0) {
			rc = out_fail(&err);
			break;
		}
		if (rc == 0 && pending == 0)
			break;
		if (rc == 0)
			strbuf_addf(&errout, "tock: %lld %s still pending\n",
			    (long long)pending,
			    plural(pending, "change", "changes"));
		/* A refusal or a failed login does not mend by waiting. */
		if (rc == EXIT_CONFLICT || rc == EXIT_USAGE)
			break;
		left = deadline - mono_ms();
		if (left <= 0) {
			if (rc == 0)
				rc = EXIT_ERROR;
			strbuf_addf(&errout, "tock: sync --wait: gave up after "
			    "%lld s\n", (long long)timeout_s);
			break;
		}
		sleep_ms(backoff < left ? backoff : left);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	/* Show the last round only: earlier failures were retried. */
	fwrite(out.buf, 1, out.len, stdout);
	fwrite(errout.buf, 1, errout.len, stderr);
	strbuf_release(&out);
	strbuf_release(&errout);
	return rc;
}

int
cmd_sync(int argc, char **argv, struct tock_ctx *ctx)
{
	const char *sub = NULL;
	bool wait = false, timeout_given = false;
	int64_t timeout_s = 60;
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': wait = true; break;
		case 't':
			timeout_s = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || timeout_s <= 0 ||
			    timeout_s > 86400)
				return out_usage(COMMAND_NAME, EXIT_USAGE,
				    "--timeout takes seconds (1 to 86400)");
			timeout_given = true;
			break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind < argc)
		sub = argv[optind++];
	if (optind < argc)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "too many arguments");
	if (sub != NULL && strcmp(sub, "status") != 0 &&
	    strcmp(sub, "quarantine") != 0) {
		out_error("unknown sync command '%s'", sub);
		return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
	}
	if (sub != NULL && (wait || timeout_given))
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "--wait and --timeout are for tock sync itself");
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (sub == NULL)
		return sync_now(ctx, wait, timeout_s);
	if (strcmp(sub, "status") == 0)
		return sync_status(ctx);
	return sync_quarantine(ctx);
}
