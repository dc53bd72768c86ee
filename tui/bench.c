/* SPDX-License-Identifier: ISC */
/*
 * bench.c - tock-tui --bench-redraw N: the cost of a frame of the task
 * list, for bench/tui-bench.sh.  The terminal is a real curses screen
 * (newterm) whose output goes to /dev/null, sized by LINES and COLUMNS
 * (200x50 unless set); every frame is a full repaint (clearok), each at
 * another page of the list.  Prints the median, 95th percentile and
 * maximum of the frames, then the same for a reload of the list from the
 * database followed by a frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curses.h>

#include "err.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

int bench_redraw(struct tui *tui, int frames);

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("%s: median %.3f ms  p95 %.3f ms  max %.3f ms  (%d frames)\n",
	    what, t[n / 2], t[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1],
	    t[n - 1], n);
}

int
bench_redraw(struct tui *tui, int frames)
{
	struct tock_err err = TOCK_ERR_INIT;
	double *draw, *reload, t0;
	int i, nreload, ntasks;

	setenv("LINES", getenv("LINES") ? getenv("LINES") : "50", 1);
	setenv("COLUMNS", getenv("COLUMNS") ? getenv("COLUMNS") : "200", 1);
	if (ui_init(tui, false, &err) != 0) {
		fprintf(stderr, "tock-tui: %s\n", err.msg);
		return 1;
	}
	view_open_all(tui);
	t0 = now_ms();
	tui_reload(tui);
	view_show(tui, VIEW_TASKS);
	ui_draw(tui);
	ntasks = view_current(tui)->nlines;
	ui_fini();
	printf("tasks %d  screen %sx%s  first load+frame %.3f ms\n", ntasks,
	    getenv("COLUMNS"), getenv("LINES"), now_ms() - t0);
	if (ui_init(tui, false, &err) != 0)
		return 1;
	draw = xcalloc((size_t)frames, sizeof *draw);
	for (i = 0; i < frames; i++) {
		view_request(tui, i % 20 == 19 ? REQ_TOP : REQ_PAGE_DOWN);
		t0 = now_ms();
		clearok(curscr, TRUE);
		ui_draw(tui);
		draw[i] = now_ms() - t0;
	}
	report("redraw", draw, frames);
	nreload = frames < 50 ? frames : 50;
	reload = xcalloc((size_t)nreload, sizeof *reload);
	for (i = 0; i < nreload; i++) {
		t0 = now_ms();
		tui_reload(tui);
		clearok(curscr, TRUE);
		ui_draw(tui);
		reload[i] = now_ms() - t0;
	}
	report("reload+redraw", reload, nreload);
	free(draw);
	free(reload);
	return 0;
}
