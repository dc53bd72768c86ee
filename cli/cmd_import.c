/*
 * cmd_import.c - tock import: bring in the history of Timewarrior,
 * Taskwarrior and Watson, or a `tock export` (format details: import.h).
 *
 *   tock import timewarrior|taskwarrior|watson|tock FILE|-
 *               [--map TAG=TITLE]... [--dry-run] [--json]
 *
 * FILE "-" reads standard input; input is limited to 512 MiB.  --map
 * (Timewarrior only, repeatable) sends intervals tagged TAG to the task
 * titled TITLE.  --dry-run does everything in a transaction that is
 * rolled back, and reports what would have been imported.
 *
 * Importing the same file again creates nothing: every source record's id
 * is remembered.  A bad record is reported on stderr as
 *   tock: FILE: record 12 (line 14): <reason>
 * and skipped; the rest is imported.  Then stdout says
 *   Imported N tasks, M time entries, K comments; skipped S bad records;
 *   U already imported
 * (--json: {"format","file","dry_run","records","tasks","time_entries",
 * "comments","skipped","already_imported","ignored","errors":[{"where",
 * "line","message"}]}).  Progress goes to stderr ("importing
 * 12000/100000") when it is a terminal or the input has over 5000
 * records.
 *
 * Exit status: 0 when every record was imported (or already was), 1 when
 * bad records were skipped or the import failed, 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "import.h"
#include "model.h"
#include "output.h"
#include "strbuf.h"
#include "timeparse.h"
#include "xmalloc.h"

#define COMMAND_NAME "import"
/* Records above which progress is shown even when stderr is a file. */
#define PROGRESS_RECORDS 5000
#define PROGRESS_TTY_MS 100
#define PROGRESS_FILE_MS 1000

static const struct option opts[] = {
	{ "map", required_argument, NULL, 'm' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct run {
	struct tock_ctx *ctx;
	const char *name;	/* the file as messages call it */
	struct strbuf errors;	/* JSON array items, for --json */
	size_t nerrors;
	bool progress;		/* show it at all */
	bool tty;
	bool shown;		/* a progress line is on the screen */
	int64_t last;		/* when it was last shown */
};

/*
 * Read all of a file or stdin, refusing more than max bytes.  A NUL is
 * appended (not counted in *len) for the convenience of parsers.
 */
static int
read_input(const char *path, char **out, size_t *len, size_t max,
    struct tock_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) < 0)
		return tock_err_set(err, errno == ENOENT ? TOCK_ENOTFOUND :
		    TOCK_EIO, "cannot open '%s': %s", path, strerror(errno));
	/* A regular file says its size: refuse a huge one before reading. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((size_t)st.st_size > max) {
			rc = tock_err_set(err, TOCK_ETOOBIG, "'%s' is too big "
			    "(%lld bytes, at most %zu MiB)", path,
			    (long long)st.st_size, max >> 20);
			goto out;
		}
	}
	strbuf_init(&sb, max);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = tock_err_set(err, TOCK_EIO, "cannot read '%s': %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (strbuf_add(&sb, chunk, (size_t)n) != 0) {
			rc = tock_err_set(err, TOCK_ETOOBIG, "the input is "
			    "too big (more than %zu MiB)", max >> 20);
			goto out;
		}
	}
	*out = strbuf_detach(&sb, len);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	strbuf_release(&sb);
	return rc;
}

static void
progress_clear(struct run *r)
{
	if (r->shown && r->tty)
		fputs("\r\033[K", stderr);
	r->shown = false;
}

static void
on_bad(size_t index, int line, const char *where, const char *msg,
    void *arg)
{
	struct run *r = arg;

	(void)index;
	progress_clear(r);
	fprintf(stderr, "tock: %s: %s (line %d): %s\n", r->name, where, line,
	    msg);
	if (r->ctx->json) {
		if (r->nerrors++ > 0)
			strbuf_addch(&r->errors, ',');
		strbuf_addstr(&r->errors, "{\"where\":");
		strbuf_add_json_str(&r->errors, where);
		strbuf_addf(&r->errors, ",\"line\":%d,\"message\":", line);
		strbuf_add_json_str(&r->errors, msg);
		strbuf_addch(&r->errors, '}');
	}
}

static void
on_progress(size_t done, size_t total, void *arg)
{
	struct run *r = arg;
	int64_t now = time_now_ms();

	if (!r->progress || done == total)
		return;
	if (now - r->last < (r->tty ? PROGRESS_TTY_MS : PROGRESS_FILE_MS))
		return;
	r->last = now;
	if (r->tty) {
		fprintf(stderr, "\rimporting %zu/%zu", done, total);
		r->shown = true;
	} else
		fprintf(stderr, "importing %zu/%zu\n", done, total);
	fflush(stderr);
}

/* --map TAG=TITLE */
static int
parse_rule(struct import_rule *rule, char *arg, struct tock_err *err)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return tock_err_set(err, TOCK_EINVAL,
		    "--map takes TAG=TITLE, not '%s'", arg);
	*eq = '\0';
	if (model_check_title(eq + 1, NULL) != 0)
		return tock_err_set(err, TOCK_EINVAL,
		    "--map %s: '%s' cannot be a task title", arg, eq + 1);
	rule->tag = arg;
	rule->title = eq + 1;
	return 0;
}

static void
print_result(struct run *r, const struct import_stats *st,
    enum import_format f, bool dry_run)
{
	struct strbuf sb = STRBUF_INIT;

	if (r->ctx->json) {
		strbuf_addstr(&sb, "{\"format\":");
		strbuf_add_json_str(&sb, import_format_name(f));
		strbuf_addstr(&sb, ",\"file\":");
		strbuf_add_json_str(&sb, r->name);
		strbuf_addf(&sb, ",\"dry_run\":%s,\"records\":%zu,"
		    "\"tasks\":%zu,\"time_entries\":%zu,\"comments\":%zu,"
		    "\"skipped\":%zu,\"already_imported\":%zu,"
		    "\"ignored\":%zu,\"errors\":[%s]}",
		    dry_run ? "true" : "false", st->records, st->tasks,
		    st->entries, st->comments, st->bad, st->already,
		    st->ignored, r->errors.buf);
		out_json(&sb);
		strbuf_release(&sb);
		return;
	}
	printf("%s %zu tasks, %zu time entries, %zu comments; "
	    "skipped %zu bad records; %zu already imported",
	    dry_run ? "Would import" : "Imported", st->tasks, st->entries,
	    st->comments, st->bad, st->already);
	if (st->ignored > 0)
		printf("; ignored %zu recurring templates", st->ignored);
	printf("\n");
}

int
cmd_import(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct import_opts io;
	struct import_stats st;
	struct import_set *set = NULL;
	struct import_rule *rules = NULL;
	enum import_format f;
	struct run r;
	size_t nrules = 0, len = 0;
	char *buf = NULL;
	bool dry_run = false;
	int c, rc, status;

	memset(&r, 0, sizeof r);
	while ((c = getopt_long(argc, argv, "m:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			rules = xrealloc(rules, (nrules + 1) * sizeof *rules);
			if (parse_rule(&rules[nrules], optarg, &err) != 0) {
				free(rules);
				return out_usage(COMMAND_NAME, EXIT_USAGE,
				    err.msg);
			}
			nrules++;
			break;
		case 'n': dry_run = true; break;
		case 'J': ctx->json = true; break;
		case 'h': free(rules); return out_usage(COMMAND_NAME, 0, NULL);
		default:
			free(rules);
			return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 2) {
		free(rules);
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "name a format and a file (- for standard input)");
	}
	if (import_format_parse(&f, argv[optind], &err) != 0) {
		free(rules);
		return out_usage(COMMAND_NAME, EXIT_USAGE, err.msg);
	}
	if (nrules > 0 && f != IMPORT_TIMEWARRIOR) {
		free(rules);
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "--map is for timewarrior imports");
	}
	r.ctx = ctx;
	r.name = strcmp(argv[optind + 1], "-") == 0 ? "stdin" :
	    argv[optind + 1];
	strbuf_init(&r.errors, 0);
	r.tty = isatty(STDERR_FILENO);

	memset(&io, 0, sizeof io);
	io.map = rules;
	io.nmap = nrules;
	io.dry_run = dry_run;
	io.bad = on_bad;
	io.progress = on_progress;
	io.arg = &r;
	if ((rc = read_input(argv[optind + 1], &buf, &len, IMPORT_MAX_INPUT,
	    &err)) != 0 ||
	    (rc = import_parse(&set, f, buf, len, &io, &err)) != 0) {
		status = out_fail(&err);
		goto out;
	}
	/* The text is in the records now. */
	free(buf);
	buf = NULL;
	r.progress = r.tty || set->nrecs > PROGRESS_RECORDS;
	if ((status = cmd_db(ctx)) != 0)
		goto out;
	rc = import_apply(ctx->db, set, &io, &st, &err);
	progress_clear(&r);
	print_result(&r, &st, f, dry_run);
	if (rc != 0)
		status = out_fail(&err);
	else
		status = st.bad > 0 ? EXIT_ERROR : EXIT_OK;
out:
	import_set_free(set);
	free(buf);
	free(rules);
	strbuf_release(&r.errors);
	return status;
}
