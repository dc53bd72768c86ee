/* SPDX-License-Identifier: ISC */
/*
 * main.c - tock-tui (also run by tock ui): options, the database, the
 * log file of -v, then the screens and the loop of ui.c.
 *
 * Two hidden options serve bench/tui-bench.sh: --bench-redraw N draws N
 * frames of the task list into a terminal that writes to /dev/null and
 * prints their times; --bench-first-frame exits as soon as the first
 * frame is on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "form.h"
#include "log.h"
#include "paths.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

int bench_redraw(struct tui *tui, int frames);

static const struct option opts[] = {
	{ "db", required_argument, NULL, 'D' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "bench-redraw", required_argument, NULL, 'B' },
	{ "bench-first-frame", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

static int
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: tock-tui [-hv] [--db path]\n");
	return status;
}

/*
 * With -v, stderr becomes $XDG_STATE_HOME/tock/tui-PID.log (tmux's
 * tmux-*.log): the screen belongs to curses, so nothing may print on it.
 */
static int
open_log(struct tock_err *err)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[PATH_MAX];
	int n, fd, rc;

	if (state != NULL && *state == '/')
		n = snprintf(path, sizeof path, "%s/tock/tui-%ld.log", state,
		    (long)getpid());
	else if (home != NULL && *home != '\0')
		n = snprintf(path, sizeof path,
		    "%s/.local/state/tock/tui-%ld.log", home, (long)getpid());
	else
		return tock_err_set(err, TOCK_EINVAL,
		    "no HOME for the log file");
	if (n < 0 || (size_t)n >= sizeof path)
		return tock_err_set(err, TOCK_EINVAL, "log path too long");
	if ((rc = paths_mkparent(path, err)) != 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return tock_err_set(err, TOCK_EIO, "cannot open '%s': %s",
		    path, strerror(errno));
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return tock_err_set(err, TOCK_EIO, "dup2: %s",
		    strerror(errno));
	}
	close(fd);
	setvbuf(stderr, NULL, _IOLBF, 0);
	log_init("tock-tui", LOG_LVL_DEBUG, 0);
	log_debug("started, pid %ld", (long)getpid());
	return 0;
}

static void
teardown(struct tui *tui)
{
	ui_fini();
	view_close_all(tui);
	form_free(tui->form);
	tui->form = NULL;
	undo_release(&tui->undo);
	entry_free(tui->running);
	tui->running = NULL;
	db_close(tui->db);
	tui->db = NULL;
}

int
main(int argc, char **argv)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct tui tui;
	char *path = NULL;
	const char *dbopt = NULL;
	bool verbose = false, first_frame = false;
	long frames = 0;
	char *end;
	int c, rc;

	/* The charset for ncursesw; dates and numbers stay as tock (which
	 * never calls setlocale) writes them, so the screens read the same
	 * as its output and fixed columns keep their width. */
	setlocale(LC_ALL, "");
	setlocale(LC_TIME, "C");
	setlocale(LC_NUMERIC, "C");
	memset(&tui, 0, sizeof tui);
	while ((c = getopt_long(argc, argv, "hvV", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			dbopt = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("tock-tui %s\n", TOCK_VERSION);
			return 0;
		case 'B':
			errno = 0;
			frames = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || frames < 1 ||
			    frames > 1000000)
				return usage(stderr, 2);
			break;
		case 'F':
			first_frame = true;
			break;
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);
	if (dbopt != NULL)
		path = xstrdup(dbopt);
	else if ((path = paths_db(&err)) == NULL)
		goto fail;
	if (db_open(&tui.db, path, 0, &err) != 0)
		goto fail;
	/* After the database, whose errors are better said on the tty. */
	if (verbose && open_log(&err) != 0) {
		db_close(tui.db);
		goto fail;
	}
	tui.db_path = path;
	if (frames > 0) {
		rc = bench_redraw(&tui, (int)frames);
		teardown(&tui);
		free(path);
		return rc;
	}
	if (ui_init(&tui, true, &err) != 0) {
		db_close(tui.db);
		goto fail;
	}
	view_open_all(&tui);
	tui_reload(&tui);
	view_show(&tui, VIEW_TASKS);
	if (first_frame) {
		ui_draw(&tui);
		rc = 0;
	} else
		rc = ui_run(&tui);
	teardown(&tui);
	log_debug("exit %d", rc);
	free(path);
	return rc;
fail:
	fprintf(stderr, "tock-tui: %s\n", err.msg);
	free(path);
	return 1;
}
