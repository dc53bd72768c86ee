/*
 * main.c - tock-syncd's command line (syncd/PROTOCOL.md "tock-syncd
 * command line"): the one-shot modes the CLI runs (--login, --logout,
 * --once, --request) and the daemon (daemon.c).  Exit codes are the
 * CLI's: 0 ok, 1 error, 3 not found (--request), 5 rejected or forbidden
 * by the server, 6 not logged in / network needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "strbuf.h"
#include "sync.h"
#include "syncd.h"

enum mode { M_DAEMON, M_ONCE, M_LOGIN, M_LOGOUT, M_REQUEST };

struct opts {
	enum mode mode;
	const char *db;
	const char *url;
	const char *email;
	const char *device_name;
	const char *method;
	const char *path;
	const char *data;
	bool password_stdin;
	bool json;
	bool foreground;
	int verbose;
};

static void
usage(FILE *f)
{
	fputs("usage: tock-syncd [-d] [-v] [--db PATH]\n"
	    "       tock-syncd --once [--json] [--db PATH]\n"
	    "       tock-syncd --login URL --email E [--password-stdin] "
	    "[--device-name N] [--db PATH]\n"
	    "       tock-syncd --logout [--db PATH]\n"
	    "       tock-syncd --request METHOD PATH [--data JSON] "
	    "[--db PATH]\n", f);
}

static int
fail(int code, const struct tock_err *err)
{
	fprintf(stderr, "tock-syncd: %s\n", err->msg);
	return code;
}

/* One line from fp without its newline (malloc'd), or NULL. */
static char *
read_line(FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, fp);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Prompt on /dev/tty with echo off (so a pipe on stdin stays the
 * caller's), restoring the terminal whatever happens. */
static char *
read_password_tty(const char *email)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	char *pw;
	bool restore;

	if (tty == NULL)
		return NULL;
	fprintf(tty, "Password for %s: ", email);
	fflush(tty);
	restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	pw = read_line(tty);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return pw;
}

static void
print_round(const struct sync_stats *st, int rc, const struct tock_err *err,
    bool json)
{
	struct strbuf sb = STRBUF_INIT;

	if (json) {
		if (rc == 0)
			strbuf_addf(&sb, "{\"ok\":true,\"pushed\":%d,\"pulled\":%d,"
			    "\"rejected\":%d,\"conflicts\":%d,\"snapshot_rows\":"
			    "%d}", st->pushed, st->pulled, st->rejected,
			    st->conflicts, st->snapshot_rows);
		else {
			strbuf_addf(&sb, "{\"ok\":false,\"code\":\"%s\","
			    "\"message\":", rc == TOCK_EIO ? "offline" :
			    rc == TOCK_EAUTH ? "auth" : rc == TOCK_EFORBIDDEN ||
			    rc == TOCK_ECONFLICT ? "rejected" : "error");
			strbuf_add_json_str(&sb, err->msg);
			strbuf_addch(&sb, '}');
		}
		puts(sb.buf);
	} else if (rc == 0) {
		strbuf_addf(&sb, "pushed %d, pulled %d", st->pushed,
		    st->pulled + st->snapshot_rows);
		if (st->rejected > 0)
			strbuf_addf(&sb, ", %d rejected (tock sync status)",
			    st->rejected);
		if (st->conflicts > 0)
			strbuf_addf(&sb, ", %d conflicts", st->conflicts);
		puts(sb.buf);
	} else {
		fprintf(stderr, "tock-syncd: %s\n", err->msg);
	}
	strbuf_release(&sb);
}

/* A round over s, recorded in the replica; the exit code. */
static int
run_round(struct db *db, struct session *s, bool json)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct sync_transport tp;
	struct sync_stats st;
	int rc;

	memset(&st, 0, sizeof st);
	session_transport(s, &tp);
	rc = session_ensure(s, &err);
	if (rc == 0)
		rc = sync_round(db, &tp, &st, &err);
	sync_note_round(db, rc == 0 ? NULL : err.msg, NULL);
	print_round(&st, rc, &err, json);
	if (rc == 0 && st.rejected > 0)
		return 5;
	return syncd_exit_code(rc);
}

static int
open_db(struct db **db, const struct opts *o, char **path,
    struct tock_err *err)
{
	*path = o->db != NULL ? strdup(o->db) : paths_db(err);
	if (*path == NULL)
		return TOCK_ERR;
	return db_open(db, *path, 0, err);
}

static int
cmd_once(const struct opts *o)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct session *s = NULL;
	struct db *db = NULL;
	char *path = NULL;
	int rc;

	if ((rc = open_db(&db, o, &path, &err)) != 0) {
		free(path);
		return fail(1, &err);
	}
	if ((rc = session_open(&s, db, path, &err)) != 0) {
		print_round(NULL, rc, &err, o->json);
		rc = syncd_exit_code(rc);
	} else {
		rc = run_round(db, s, o->json);
	}
	session_free(s);
	db_close(db);
	free(path);
	return rc;
}

static int
cmd_login(const struct opts *o)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct login_req in;
	struct session *s = NULL;
	struct db *db = NULL;
	char *pw, *path = NULL;
	int rc, code;

	if (o->email == NULL) {
		fputs("tock-syncd: --login needs --email\n", stderr);
		return 1;
	}
	pw = o->password_stdin ? read_line(stdin) : read_password_tty(o->email);
	if (pw == NULL || *pw == '\0') {
		fprintf(stderr, "tock-syncd: no password given%s\n",
		    o->password_stdin ? " on stdin" : " (no terminal? use "
		    "--password-stdin)");
		free(pw);
		return 1;
	}
	if ((rc = open_db(&db, o, &path, &err)) != 0) {
		memset(pw, 0, strlen(pw));
		free(pw);
		free(path);
		return fail(1, &err);
	}
	in.url = o->url;
	in.email = o->email;
	in.password = pw;
	in.device_name = o->device_name;
	rc = session_login(db, path, &in, &s, &code, &err);
	memset(pw, 0, strlen(pw));
	free(pw);
	if (rc != 0) {
		code = fail(code, &err);
	} else {
		printf("logged in as %s on %s\n", o->email, s->server);
		fflush(stdout);
		/* The login stands even when the first round cannot run. */
		if (run_round(db, s, false) != 0)
			fputs("tock-syncd: warning: logged in, but the first "
			    "sync did not complete; tock sync retries\n",
			    stderr);
		code = 0;
	}
	session_free(s);
	db_close(db);
	free(path);
	return code;
}

static int
cmd_logout(const struct opts *o)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct db *db = NULL;
	char *path = NULL;
	bool told = false;
	int rc;

	if ((rc = open_db(&db, o, &path, &err)) != 0) {
		free(path);
		return fail(1, &err);
	}
	rc = session_logout(db, path, &told, &err);
	db_close(db);
	free(path);
	if (rc != 0)
		return fail(syncd_exit_code(rc), &err);
	puts(told ? "logged out" : "logged out here (the server was not told)");
	return 0;
}

static int
cmd_request(const struct opts *o)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct strbuf resp = STRBUF_INIT;
	struct session *s = NULL;
	struct db *db = NULL;
	char *path = NULL, msg[200];
	int rc, status = 0;

	if (o->path == NULL || o->path[0] != '/') {
		fputs("tock-syncd: --request needs METHOD and a PATH starting "
		    "with /\n", stderr);
		return 1;
	}
	if (o->data != NULL && json_validate(o->data, SYNCD_BODY_MAX,
	    &err) != 0)
		return fail(1, &err);
	if ((rc = open_db(&db, o, &path, &err)) != 0) {
		free(path);
		return fail(1, &err);
	}
	if ((rc = session_open(&s, db, path, &err)) == 0)
		rc = session_request(s, o->method, o->path, o->data, &status,
		    &resp, &err);
	if (rc != 0) {
		rc = fail(syncd_exit_code(rc) == 5 ? 5 : rc == TOCK_EIO ||
		    rc == TOCK_EAUTH ? 6 : 1, &err);
		goto out;
	}
	if (resp.len > 0) {
		fwrite(resp.buf, 1, resp.len, stdout);
		if (resp.buf[resp.len - 1] != '\n')
			putchar('\n');
	}
	if (status >= 200 && status <= 299) {
		rc = 0;
		goto out;
	}
	wire_error(resp.buf, resp.len, msg, sizeof msg, NULL, 0);
	fprintf(stderr, "tock-syncd: %s\n", msg[0] != '\0' ? msg :
	    "the server refused the request");
	rc = status == 404 ? 3 : status == 403 || status == 409 ? 5 :
	    status == 401 ? 6 : 1;
out:
	strbuf_release(&resp);
	session_free(s);
	db_close(db);
	free(path);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { O_ONCE = 256, O_LOGIN, O_LOGOUT, O_REQUEST, O_DATA, O_EMAIL,
	    O_PWSTDIN, O_DEVNAME, O_DB, O_JSON, O_HELP, O_VERSION };
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, O_ONCE },
		{ "login", required_argument, NULL, O_LOGIN },
		{ "logout", no_argument, NULL, O_LOGOUT },
		{ "request", required_argument, NULL, O_REQUEST },
		{ "data", required_argument, NULL, O_DATA },
		{ "email", required_argument, NULL, O_EMAIL },
		{ "password-stdin", no_argument, NULL, O_PWSTDIN },
		{ "device-name", required_argument, NULL, O_DEVNAME },
		{ "db", required_argument, NULL, O_DB },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct tock_err err = TOCK_ERR_INIT;
	struct opts o;
	int c, nmodes = 0, rc;

	memset(&o, 0, sizeof o);
	while ((c = getopt_long(argc, argv, "dv", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.foreground = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case O_ONCE:
			o.mode = M_ONCE;
			nmodes++;
			break;
		case O_LOGIN:
			o.mode = M_LOGIN;
			o.url = optarg;
			nmodes++;
			break;
		case O_LOGOUT:
			o.mode = M_LOGOUT;
			nmodes++;
			break;
		case O_REQUEST:
			o.mode = M_REQUEST;
			o.method = optarg;
			nmodes++;
			break;
		case O_DATA:
			o.data = optarg;
			break;
		case O_EMAIL:
			o.email = optarg;
			break;
		case O_PWSTDIN:
			o.password_stdin = true;
			break;
		case O_DEVNAME:
			o.device_name = optarg;
			break;
		case O_DB:
			o.db = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		case O_VERSION:
			puts("tock-syncd " TOCK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (o.mode == M_REQUEST && optind < argc)
		o.path = argv[optind++];
	if (nmodes > 1 || optind < argc) {
		usage(stderr);
		return 1;
	}
	log_init("tock-syncd", o.verbose >= 2 ? LOG_LVL_DEBUG : o.verbose ?
	    LOG_LVL_INFO : LOG_LVL_WARN, 0);
	if (o.mode == M_DAEMON) {
		struct daemon_opts d = { o.db, o.foreground, o.verbose };

		return daemon_run(&d);
	}
	if (http_global_init(&err) != 0)
		return fail(1, &err);
	switch (o.mode) {
	case M_ONCE:
		rc = cmd_once(&o);
		break;
	case M_LOGIN:
		rc = cmd_login(&o);
		break;
	case M_LOGOUT:
		rc = cmd_logout(&o);
		break;
	default:
		rc = cmd_request(&o);
		break;
	}
	http_global_cleanup();
	return rc;
}
