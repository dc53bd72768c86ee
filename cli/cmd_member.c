/*
 * cmd_member.c - tock member: who is in a workspace.
 *
 *   tock member ls [--workspace W] [--json]     offline, from the replica
 *   tock member add EMAIL --role admin|lead|member [--workspace W]
 *   tock member rm EMAIL [--workspace W]
 *
 * Adding and removing are the server's decisions (roles), so they need
 * the network: they run tock-syncd --request, and the change comes back
 * to this replica with the next sync.  W defaults to the current
 * workspace.  ls prints "NAME  EMAIL  ROLE" lines (you are marked
 * "(you)"); --json: [{"user_id","name","email","role","me"}].
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
#include "text.h"
#include "workspace.h"
#include "xmalloc.h"

#define COMMAND_NAME "member"

static const struct option opts[] = {
	{ "workspace", required_argument, NULL, 'w' },
	{ "role", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ls {
	struct tock_ctx *ctx;
	struct strbuf sb;
	int n;
	size_t wname, wemail;
};

static int
measure(const struct member_info *m, void *arg)
{
	struct ls *l = arg;
	size_t n = text_utf8_len(m->name) + (m->me ? 6 : 0);

	if (n > l->wname)
		l->wname = n;
	n = m->email != NULL ? text_utf8_len(m->email) : 1;
	if (n > l->wemail)
		l->wemail = n;
	return 0;
}

static int
print_member(const struct member_info *m, void *arg)
{
	struct ls *l = arg;
	const char *email = m->email != NULL ? m->email : "-";

	if (l->ctx->json) {
		if (l->n++)
			strbuf_addch(&l->sb, ',');
		strbuf_addstr(&l->sb, "{\"user_id\":");
		strbuf_add_json_str(&l->sb, m->user_id);
		strbuf_addstr(&l->sb, ",\"name\":");
		strbuf_add_json_str(&l->sb, m->name);
		strbuf_addstr(&l->sb, ",\"email\":");
		if (m->email != NULL)
			strbuf_add_json_str(&l->sb, m->email);
		else
			strbuf_addstr(&l->sb, "null");
		strbuf_addstr(&l->sb, ",\"role\":");
		strbuf_add_json_str(&l->sb, m->role);
		strbuf_addf(&l->sb, ",\"me\":%s}", m->me ? "true" : "false");
		return 0;
	}
	printf("%s%s%*s  %s%*s  %s\n", m->name, m->me ? " (you)" : "",
	    (int)(l->wname - text_utf8_len(m->name) - (m->me ? 6 : 0)), "",
	    email, (int)(l->wemail - text_utf8_len(email)), "", m->role);
	return 0;
}

static int
member_ls(struct tock_ctx *ctx, const char *ws)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct ls l = { .ctx = ctx };
	int rc;

	strbuf_init(&l.sb, 0);
	strbuf_addch(&l.sb, '[');
	if ((rc = db_member_list(ctx->db, ws, measure, &l, &err)) == 0)
		rc = db_member_list(ctx->db, ws, print_member, &l, &err);
	if (rc == 0 && ctx->json) {
		strbuf_addch(&l.sb, ']');
		out_json(&l.sb);
	}
	strbuf_release(&l.sb);
	return rc ? out_fail(&err) : EXIT_OK;
}

/* The network part: tock-syncd --request, its answer relayed. */
static int
member_request(struct tock_ctx *ctx, const char *method, const char *path,
    const char *data)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	int status;

	strbuf_init(&out, 1 << 20);
	/* The daemon writes this replica too: let go of our handle. */
	db_close(ctx->db);
	ctx->db = NULL;
	status = syncd_request(ctx->db_path, method, path, data, &out, &err);
	if (status < 0)
		status = out_fail(&err);
	else if (status == 0 && ctx->json && out.len > 0)
		fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	return status;
}

static int
check_online(struct tock_ctx *ctx, const char *ws, const char *what)
{
	struct tock_err err = TOCK_ERR_INIT;
	char *url = NULL;
	int rc;

	if ((rc = sync_server_url(ctx->db, &url, &err)) != 0) {
		if (rc == TOCK_EAUTH) {
			out_error("%s needs the server: not logged in: run "
			    "'tock login URL'", what);
			return EXIT_NOLOGIN;
		}
		return out_fail(&err);
	}
	free(url);
	if (db_workspace_pending(ctx->db, ws)) {
		out_error("%s needs the server, which does not have this "
		    "workspace yet: run 'tock sync' first", what);
		return EXIT_NOLOGIN;
	}
	return 0;
}

int
cmd_member(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *wsref = NULL, *role = NULL, *sub;
	char ws[UUID_STRLEN + 1], uid[UUID_STRLEN + 1], *path, *data, *name;
	struct strbuf sb = STRBUF_INIT;
	int c, rc, nargs;

	while ((c = getopt_long(argc, argv, "w:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': wsref = optarg; break;
		case 'r': role = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	sub = optind < argc ? argv[optind++] : "ls";
	nargs = argc - optind;
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) {
		if (nargs != 0 || role != NULL)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "member ls takes only --workspace");
	} else if (strcmp(sub, "add") == 0 || strcmp(sub, "rm") == 0) {
		if (nargs != 1)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "give the member's email");
		if (strchr(argv[optind], '@') == NULL)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "that is not an email address");
		if (strcmp(sub, "add") == 0 && role == NULL)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "member add needs --role admin|lead|member");
		if (strcmp(sub, "rm") == 0 && role != NULL)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "member rm takes no --role");
		if (role != NULL && strcmp(role, "admin") != 0 &&
		    strcmp(role, "lead") != 0 && strcmp(role, "member") != 0)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "--role is admin, lead or member");
	} else {
		out_error("unknown member command '%s'", sub);
		return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
	}
	if ((rc = cmd_db(ctx)) != 0)
		return rc;
	if (wsref == NULL)
		snprintf(ws, sizeof ws, "%s", db_workspace_id(ctx->db));
	else if (db_workspace_resolve(ctx->db, ws, wsref, &err) != 0)
		return out_fail(&err);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return member_ls(ctx, ws);

	if ((rc = check_online(ctx, ws, strcmp(sub, "add") == 0 ?
	    "member add" : "member rm")) != 0)
		return rc;
	name = db_workspace_name(ctx->db, ws);
	if (strcmp(sub, "add") == 0) {
		path = xasprintf("/api/v1/workspaces/%s/members", ws);
		strbuf_addstr(&sb, "{\"email\":");
		strbuf_add_json_str(&sb, argv[optind]);
		strbuf_addstr(&sb, ",\"role\":");
		strbuf_add_json_str(&sb, role);
		strbuf_addch(&sb, '}');
		data = sb.buf;
		rc = member_request(ctx, "POST", path, data);
		if (rc == 0 && !ctx->json)
			printf("Added %s to %s as %s\n", argv[optind],
			    name != NULL ? name : ws, role);
	} else {
		if (db_member_find(ctx->db, ws, argv[optind], uid, &err) != 0) {
			free(name);
			return out_fail(&err);
		}
		path = xasprintf("/api/v1/workspaces/%s/members/%s", ws, uid);
		rc = member_request(ctx, "DELETE", path, NULL);
		if (rc == 0 && !ctx->json)
			printf("Removed %s from %s\n", argv[optind],
			    name != NULL ? name : ws);
	}
	if (rc == 0 && !ctx->json)
		printf("The change reaches this replica with the next sync\n");
	free(path);
	free(name);
	strbuf_release(&sb);
	return rc;
}
