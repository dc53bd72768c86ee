/*
 * cmd_notify.c - tock notify: which notifications you get.
 *
 *   tock notify [--json]              show the three kinds, on or off
 *   tock notify on|off KIND...        KIND: assigned, comment, due, all
 *
 * The preferences live on the server (the events are queued there, in the
 * transaction of the change), so this needs the network: it asks through
 * tock-syncd --request, like tock member add.
 */
#include <getopt.h>
#include <stdbool.h>
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
#include "syncd_exec.h"

#define COMMAND_NAME "notify"
#define PREFS_PATH "/api/v1/me/notifications"

static const char *const kinds[] = { "assigned", "comment", "due" };
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Print the answer's preferences: "assigned  on" per kind, or JSON. */
static int
print_prefs(struct tock_ctx *ctx, const char *answer)
{
	char *prefs = json_member(answer, "prefs");
	size_t i;
	bool on;

	if (prefs == NULL) {
		out_error("the server's answer has no preferences");
		return EXIT_ERROR;
	}
	if (ctx->json)
		printf("%s\n", prefs);
	else
		for (i = 0; i < NKINDS; i++)
			printf("%-9s %s\n", kinds[i], json_get_bool(prefs,
			    kinds[i], &on) && !on ? "off" : "on");
	free(prefs);
	return EXIT_OK;
}

int
cmd_notify(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf body = STRBUF_INIT, out = STRBUF_INIT;
	const char *method = "GET";
	char *url = NULL;
	bool set[NKINDS] = { false }, on = false;
	size_t i;
	int c, rc, status, n = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "on") == 0)
			on = true;
		else if (strcmp(argv[optind], "off") != 0) {
			out_error("unknown notify command '%s'", argv[optind]);
			return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
		if (optind + 1 == argc)
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "say which: assigned, comment, due or all");
		for (c = optind + 1; c < argc; c++) {
			bool all = strcmp(argv[c], "all") == 0, known = all;

			for (i = 0; i < NKINDS; i++)
				if (all || strcmp(argv[c], kinds[i]) == 0) {
					set[i] = known = true;
				}
			if (!known) {
				out_error("'%s' is not a kind of notification "
				    "(assigned, comment, due, all)", argv[c]);
				return EXIT_USAGE;
			}
		}
		strbuf_addch(&body, '{');
		for (i = 0; i < NKINDS; i++)
			if (set[i])
				strbuf_addf(&body, "%s\"%s\":%s", n++ ? "," : "",
				    kinds[i], on ? "true" : "false");
		strbuf_addch(&body, '}');
		method = "PATCH";
	}
	if ((rc = cmd_db(ctx)) != 0)
		goto out;
	if ((rc = sync_server_url(ctx->db, &url, &err)) != 0) {
		if (rc == TOCK_EAUTH) {
			out_error("notification settings live on the server: "
			    "not logged in: run 'tock login URL'");
			rc = EXIT_NOLOGIN;
		} else
			rc = out_fail(&err);
		goto out;
	}
	/* tock-syncd writes the replica (a token refresh): let it go. */
	db_close(ctx->db);
	ctx->db = NULL;
	strbuf_init(&out, 1 << 20);
	status = syncd_request(ctx->db_path, method, PREFS_PATH,
	    body.len > 0 ? body.buf : NULL, &out, &err);
	if (status < 0)
		rc = out_fail(&err);
	else if (status != 0)
		rc = status;	/* tock-syncd said why on stderr */
	else
		rc = print_prefs(ctx, out.buf);
out:
	free(url);
	strbuf_release(&body);
	strbuf_release(&out);
	return rc;
}
