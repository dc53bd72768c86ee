/* SPDX-License-Identifier: ISC */
/*
 * ui.c - ncurses setup and teardown, signals, the main loop, and the
 * parts of the screen every view shares (header, tab bar, status line,
 * footer).
 *
 * The loop sleeps in ppoll() on the terminal and, when it can, an
 * inotify watch on the database's directory and tock-syncd's event
 * stream (subscribe on its control socket, retried every 5 s while no
 * daemon runs).  It wakes for a key, for a pulled change (the daemon's
 * "changed"), for a write to the database (inotify), every 250 ms to
 * compare PRAGMA data_version (the fallback that always works), and once
 * a second while a timer runs, for the header clock.  It redraws only when something
 * changed, so an idle TUI costs nothing but those wake-ups.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP set a flag that the loop acts on
 * (clean quit); SIGWINCH sets a flag that makes the loop resize.  They are
 * blocked except inside ppoll(), so none is lost between the check and
 * the wait.  Fatal signals (SIGSEGV, SIGABRT, ...) restore the terminal
 * with async-signal-safe calls only (write, tcsetattr) and die by the
 * same signal.  atexit() covers exit() from anywhere.
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctlsock.h"
#include "db.h"
#include "err.h"
#include "form.h"
#include "log.h"
#include "strbuf.h"
#include "sync.h"
#include "text.h"
#include "timeparse.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

#define UI_POLL_MS	250	/* data_version fallback poll */
#define UI_MSG_MS	5000	/* how long a message stays */
#define UI_ERR_MS	8000
#define UI_MIN_ROWS	8
#define UI_MIN_COLS	30

/* Signal state: set by handlers, read by the loop. */
static volatile sig_atomic_t sig_quit;
static volatile sig_atomic_t sig_winch;

/* Terminal restore for the fatal-signal path: what endwin() would do,
 * prepared in advance so the handler only has to write it. */
static struct termios saved_tio;
static bool have_tio;
static char restore_seq[256];
static size_t restore_len;
static bool curses_on;
static SCREEN *screen;
static FILE *null_out, *null_in;

static int attrs[UA_COUNT];
static struct strbuf textbuf = STRBUF_INIT;
static int inotify_fd = -1;
/* The sync daemon's event stream ({"cmd":"subscribe"}), or -1; tried
 * again every SUB_RETRY_MS while no daemon runs. */
static int sub_fd = -1;
static int64_t sub_next_try;
#define SUB_RETRY_MS	5000
static char db_base[256];	/* the database's file name, for inotify */

static void
on_quit_signal(int sig)
{
	sig_quit = sig;
}

static void
on_winch(int sig)
{
	sig_winch = 1;
}

static void
on_fatal_signal(int sig)
{
	ssize_t r;

	if (curses_on) {
		r = write(STDOUT_FILENO, restore_seq, restore_len);
		(void)r;
		if (have_tio)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Append a terminfo string, without $<..> padding, to restore_seq. */
static void
restore_add(const char *cap)
{
	const char *s = tigetstr(cap);

	if (s == NULL || s == (char *)-1)
		return;
	while (*s != '\0' && restore_len < sizeof restore_seq - 1) {
		if (s[0] == '$' && s[1] == '<') {
			while (*s != '\0' && *s != '>')
				s++;
			if (*s == '>')
				s++;
			continue;
		}
		restore_seq[restore_len++] = *s++;
	}
}

static void
install_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
	    SIGQUIT, SIGTRAP, SIGSYS };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	/* Only ppoll() lets these in; see the top of the file. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

static void
init_attrs(struct tui *tui)
{
	static const struct {
		short fg, bg;
		int extra;
		int mono;
	} map[UA_COUNT] = {
		[UA_NORMAL] = { -1, -1, 0, A_NORMAL },
		[UA_HEADER] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
		[UA_HEADER_RUN] = { COLOR_GREEN, COLOR_BLUE, A_BOLD,
		    A_REVERSE | A_BOLD },
		[UA_TAB] = { -1, -1, 0, A_NORMAL },
		[UA_TAB_CUR] = { COLOR_BLACK, COLOR_CYAN, A_BOLD,
		    A_REVERSE | A_BOLD },
		[UA_COLHEAD] = { -1, -1, A_BOLD | A_UNDERLINE, A_UNDERLINE },
		[UA_SELECTED] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
		[UA_RUNNING] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
		[UA_DIM] = { -1, -1, A_DIM, A_DIM },
		[UA_OVERDUE] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
		[UA_ERROR] = { COLOR_WHITE, COLOR_RED, A_BOLD,
		    A_REVERSE | A_BOLD },
		[UA_INFO] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
		[UA_KEY] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
		[UA_BAR] = { COLOR_CYAN, -1, 0, A_NORMAL },
		[UA_HEADING] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
		[UA_FORM] = { -1, -1, 0, A_NORMAL },
		[UA_FIELD] = { COLOR_BLACK, COLOR_WHITE, 0, A_UNDERLINE },
	};
	int i;

	for (i = 0; i < UA_COUNT; i++) {
		if (!tui->colour || (map[i].fg == -1 && map[i].bg == -1)) {
			attrs[i] = tui->colour ? map[i].extra : map[i].mono;
			continue;
		}
		init_pair((short)i, map[i].fg, map[i].bg);
		attrs[i] = (int)COLOR_PAIR(i) | map[i].extra;
	}
}

/* Watch the database's directory: any write to the WAL or the database
 * wakes the loop at once, instead of at the next 250 ms poll. */
static void
watch_db(struct tui *tui)
{
	char dir[4096];
	const char *slash;
	int n;

	/* The tests turn it off to exercise the polling fallback. */
	if (tui->db_path == NULL || getenv("TOCK_TUI_NO_INOTIFY") != NULL)
		return;
	slash = strrchr(tui->db_path, '/');
	if (slash == NULL)
		n = snprintf(dir, sizeof dir, ".");
	else
		n = snprintf(dir, sizeof dir, "%.*s",
		    (int)(slash - tui->db_path), tui->db_path);
	snprintf(db_base, sizeof db_base, "%s", slash ? slash + 1 :
	    tui->db_path);
	if (n <= 0 || (size_t)n >= sizeof dir)
		return;
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd < 0)
		return;
	if (inotify_add_watch(inotify_fd, dir, IN_MODIFY | IN_CLOSE_WRITE |
	    IN_MOVED_TO | IN_CREATE) < 0) {
		log_debug("inotify on %s: %s", dir, strerror(errno));
		close(inotify_fd);
		inotify_fd = -1;
	}
}

/* Drain inotify; true if an event concerned the database or its WAL. */
static bool
inotify_drain(void)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t blen = strlen(db_base);
	bool hit = false;
	ssize_t n;
	char *p;

	while ((n = read(inotify_fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; ) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len > 0 && strncmp(ev->name, db_base, blen) ==
			    0 && (ev->name[blen] == '\0' ||
			    strcmp(ev->name + blen, "-wal") == 0))
				hit = true;
			p += sizeof *ev + ev->len;
		}
	}
	return hit;
}

int
ui_init(struct tui *tui, bool on_tty, struct tock_err *err)
{
	const char *nc = getenv("NO_COLOR");
	static bool registered;

	tui->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (on_tty) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
			return tock_err_set(err, TOCK_EINVAL,
			    "standard input and output must be a terminal");
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
			have_tio = true;
		install_signals();
		screen = newterm(NULL, stdout, stdin);
	} else {
		/* Off-screen (benchmarks): a terminal that writes nowhere. */
		null_out = fopen("/dev/null", "w");
		null_in = fopen("/dev/null", "r");
		if (null_out == NULL || null_in == NULL)
			return tock_err_set(err, TOCK_EIO,
			    "cannot open /dev/null");
		screen = newterm(getenv("TERM") ? NULL : "xterm-256color",
		    null_out, null_in);
	}
	if (screen == NULL)
		return tock_err_set(err, TOCK_EINVAL,
		    "cannot use terminal type '%s'",
		    getenv("TERM") ? getenv("TERM") : "");
	set_term(screen);
	restore_len = 0;
	restore_add("sgr0");
	restore_add("cnorm");
	restore_add("rmkx");
	restore_add("rmcup");
	curses_on = true;
	if (!registered) {
		atexit(ui_fini);
		registered = true;
	}
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* Colour on the terminal's own background, or none at all. */
	tui->colour = has_colors() && (nc == NULL || nc[0] == '\0') &&
	    start_color() == OK && use_default_colors() == OK;
	init_attrs(tui);
	tui->rows = LINES;
	tui->cols = COLS;
	if (on_tty)
		watch_db(tui);
	return 0;
}

void
ui_fini(void)
{
	if (!curses_on)
		return;
	curses_on = false;
	endwin();
	if (screen != NULL) {
		delscreen(screen);
		screen = NULL;
	}
	if (null_out != NULL)
		fclose(null_out);
	if (null_in != NULL)
		fclose(null_in);
	null_out = null_in = NULL;
	if (inotify_fd >= 0)
		close(inotify_fd);
	inotify_fd = -1;
	if (sub_fd >= 0)
		close(sub_fd);
	sub_fd = -1;
	strbuf_release(&textbuf);
}

int
ui_attr(struct tui *tui, enum ui_attr a)
{
	return attrs[a];
}

const char *
ui_glyph(struct tui *tui, enum ui_glyph g)
{
	static const char *const utf8[G_COUNT] = {
		[G_RUN] = "\xe2\x96\xb6",	/* ▶ */
		[G_STOP] = "\xe2\x96\xa0",	/* ■ */
		[G_DOT] = "\xc2\xb7",		/* · */
		[G_BAR] = "\xe2\x96\x88",	/* █ */
		[G_BAR_HALF] = "\xe2\x96\x8c",	/* ▌ */
		[G_DASH] = "\xe2\x80\x93",	/* – */
		[G_VBAR] = "\xe2\x94\x82",	/* │ */
	};
	static const char *const ascii[G_COUNT] = {
		[G_RUN] = ">", [G_STOP] = "-", [G_DOT] = "-", [G_BAR] = "#",
		[G_BAR_HALF] = "+", [G_DASH] = "-", [G_VBAR] = "|",
	};

	return tui->utf8 ? utf8[g] : ascii[g];
}

void
ui_fill(struct tui *tui, int y, int x, int w, int attr)
{
	if (w <= 0)
		return;
	wattrset(stdscr, attr);
	mvwhline(stdscr, y, x, ' ', w);
	wattrset(stdscr, A_NORMAL);
}

/* Without a UTF-8 locale, each code point becomes as many '?' as it has
 * columns, so alignment computed on the UTF-8 still holds. */
static void
ascii_only(struct strbuf *sb)
{
	struct strbuf out = STRBUF_INIT;
	const char *p = sb->buf;
	size_t n;
	int w;

	while (*p != '\0') {
		n = tui_cp_len(p);
		if ((unsigned char)*p < 0x80)
			strbuf_addch(&out, *p);
		else
			for (w = tui_width_n(p, n); w > 0; w--)
				strbuf_addch(&out, '?');
		p += n;
	}
	strbuf_reset(sb);
	strbuf_add(sb, out.buf, out.len);
	strbuf_release(&out);
}

int
ui_text(struct tui *tui, int y, int x, int w, const char *s, int attr,
    bool pad)
{
	int used;

	if (w <= 0 || x >= tui->cols)
		return 0;
	if (x + w > tui->cols)
		w = tui->cols - x;
	strbuf_reset(&textbuf);
	text_add_fit(&textbuf, s, w, pad);
	if (!tui->utf8)
		ascii_only(&textbuf);
	used = pad ? w : text_width(textbuf.buf);
	wattrset(stdscr, attr);
	mvwaddnstr(stdscr, y, x, textbuf.buf, (int)textbuf.len);
	wattrset(stdscr, A_NORMAL);
	return used;
}

int
ui_text_right(struct tui *tui, int y, int xend, int w, const char *s,
    int attr)
{
	int tw = text_width(s);

	if (tw > w)
		tw = w;
	return ui_text(tui, y, xend - tw, tw, s, attr, false);
}

void
tui_msg(struct tui *tui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tui->msg, sizeof tui->msg, fmt, ap);
	va_end(ap);
	tui->msg_error = false;
	tui->msg_until = time_now_ms() + UI_MSG_MS;
	tui->dirty = true;
	log_debug("msg: %s", tui->msg);
}

void
tui_error(struct tui *tui, const struct tock_err *err)
{
	snprintf(tui->msg, sizeof tui->msg, "%s", err->msg[0] ? err->msg :
	    "something went wrong");
	tui->msg_error = true;
	tui->msg_until = time_now_ms() + UI_ERR_MS;
	tui->dirty = true;
	log_debug("error: %s", tui->msg);
}

/* Sum of today's closed entries, clipped to today. */
struct today_sum {
	int64_t from, to, sum;
};

static int
add_today(const struct entry *e, int at, void *arg)
{
	struct today_sum *ts = arg;
	int64_t s = e->start_time, t = e->end_time;

	if (t < 0)
		return 0;
	if (s < ts->from)
		s = ts->from;
	if (t > ts->to)
		t = ts->to;
	if (t > s)
		ts->sum += t - s;
	return 0;
}

/*
 * The header's sync state: "local" before any login, "offline" when the
 * last round failed, "synced" when nothing waits; then what waits, and
 * the conflicts nobody has looked at.
 */
static int
sync_label(struct tui *tui, struct tock_err *err)
{
	struct sync_status st;
	const char *state;
	size_t n;
	int rc;

	if ((rc = sync_status_get(tui->db, &st, err)) != 0)
		return rc;
	tui->outbox = st.pending;
	if (st.server_url == NULL)
		state = "local";
	else if (st.last_error != NULL)
		state = "offline";
	else if (st.pending == 0)
		state = "synced";
	else
		state = "syncing";
	n = (size_t)snprintf(tui->sync_label, sizeof tui->sync_label, "%s",
	    state);
	if (st.pending > 0 && n < sizeof tui->sync_label)
		n += (size_t)snprintf(tui->sync_label + n,
		    sizeof tui->sync_label - n, " %s %lld pending",
		    ui_glyph(tui, G_DOT), (long long)st.pending);
	if (st.conflicts > 0 && n < sizeof tui->sync_label)
		snprintf(tui->sync_label + n, sizeof tui->sync_label - n,
		    " %s %lld conflict%s", ui_glyph(tui, G_DOT),
		    (long long)st.conflicts, st.conflicts == 1 ? "" : "s");
	sync_status_release(&st);
	return 0;
}

int
tui_reload_header(struct tui *tui, struct tock_err *err)
{
	struct entry_filter f = { 0 };
	struct today_sum ts = { 0 };
	int64_t now = db_now(tui->db);
	int rc;

	entry_free(tui->running);
	tui->running = NULL;
	rc = db_entry_running(tui->db, &tui->running, err);
	if (rc != 0 && rc != TOCK_ENOTRUNNING)
		return rc;
	tui->today_start = time_day_start(now);
	f.since = ts.from = tui->today_start;
	f.until = ts.to = time_day_next(tui->today_start);
	if ((rc = db_entry_list(tui->db, &f, add_today, &ts, err)) != 0)
		return rc;
	tui->today_closed = ts.sum;
	if ((rc = sync_label(tui, err)) != 0)
		return rc;
	tui->dirty = true;
	return 0;
}

int64_t
tui_today_total(const struct tui *tui, int64_t now)
{
	int64_t total = tui->today_closed, s;

	if (tui->running != NULL && now > tui->today_start) {
		s = tui->running->start_time;
		if (s < tui->today_start)
			s = tui->today_start;
		if (now > s)
			total += now - s;
	}
	return total;
}

void
tui_reload(struct tui *tui)
{
	struct tock_err err = TOCK_ERR_INIT;

	if (db_data_version(tui->db, &tui->data_version, &err) != 0 ||
	    tui_reload_header(tui, &err) != 0)
		tui_error(tui, &err);
	view_reload_all(tui);
	/* The view on screen has used it; the others keep their place. */
	tui->focus_id[0] = '\0';
	tui->dirty = true;
}

/* "1:02:03": the running timer's elapsed time. */
static void
fmt_clock(char *buf, size_t n, int64_t ms)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	snprintf(buf, n, "%lld:%02lld:%02lld", (long long)(s / 3600),
	    (long long)(s / 60 % 60), (long long)(s % 60));
}

static void
draw_header(struct tui *tui, int64_t now)
{
	char clock[32], today[32], right[80], left[96];
	int ha = ui_attr(tui, UA_HEADER), x, rw, room;
	const struct entry *r = tui->running;

	ui_fill(tui, 0, 0, tui->cols, ha);
	snprintf(right, sizeof right, "%s ", tui->sync_label);
	rw = ui_text_right(tui, 0, tui->cols, tui->cols / 3, right, ha);
	timefmt_duration(today, sizeof today, tui_today_total(tui, now));
	x = 1;
	room = tui->cols - rw - 2;
	if (r != NULL) {
		fmt_clock(clock, sizeof clock, now - r->start_time);
		snprintf(left, sizeof left, "  %s  %s today %s", clock,
		    ui_glyph(tui, G_DOT), today);
		x += ui_text(tui, 0, x, room, ui_glyph(tui, G_RUN),
		    ui_attr(tui, UA_HEADER_RUN), false);
		x += ui_text(tui, 0, x, 1, " ", ha, false);
		room = tui->cols - rw - 2 - x - text_width(left);
		if (room < 8)
			room = 8;
		x += ui_text(tui, 0, x, room, r->task_title ? r->task_title :
		    "(no task)", ha, false);
		ui_text(tui, 0, x, tui->cols - rw - x - 1, left, ha, false);
	} else {
		snprintf(left, sizeof left, "%s no timer running  %s today %s",
		    ui_glyph(tui, G_STOP), ui_glyph(tui, G_DOT), today);
		ui_text(tui, 0, x, room, left, ha, false);
	}
}

static void
draw_tabs(struct tui *tui)
{
	struct strbuf info = STRBUF_INIT;
	struct view *cur = view_current(tui), *base = tui->stack[0];
	int x = 0, i, w;

	ui_fill(tui, 1, 0, tui->cols, ui_attr(tui, UA_TAB));
	for (i = 0; i < VIEW_COUNT; i++) {
		struct view *v = tui->views[i];
		char label[64];

		if (!(v->ops->flags & VIEW_TAB))
			continue;
		snprintf(label, sizeof label, " %s ", v->ops->title);
		x += ui_text(tui, 1, x, tui->cols - x, label, ui_attr(tui,
		    v == base ? UA_TAB_CUR : UA_TAB), false);
		x += ui_text(tui, 1, x, tui->cols - x, " ", A_NORMAL, false);
	}
	if (cur != base) {
		char label[64];

		snprintf(label, sizeof label, "%s %s ", ui_glyph(tui, G_VBAR),
		    cur->ops->title);
		x += ui_text(tui, 1, x, tui->cols - x, label, ui_attr(tui,
		    UA_TAB_CUR), false);
	}
	if (cur->ops->info != NULL) {
		cur->ops->info(cur, &info);
		w = tui->cols - x - 2;
		if (w > 0 && info.len > 0)
			ui_text_right(tui, 1, tui->cols - 1, w, info.buf,
			    ui_attr(tui, UA_DIM));
	}
	strbuf_release(&info);
}

static void
draw_footer(struct tui *tui)
{
	static const struct footer_item box_keys[] = { { "Enter", "save" },
	    { "Tab", "next field" }, { "Esc", "cancel" },
	    { "Ctrl-U", "clear" } };
	static const struct footer_item prompt_keys[] = { { "Enter", "keep" },
	    { "Esc", "cancel" }, { "Ctrl-U", "clear" } };
	static const struct footer_item confirm_keys[] = { { "y", "yes" },
	    { "n", "no" } };
	struct footer_item items[32];
	const struct footer_item *it = items;
	int y = tui->rows - 1, x = 0, n, i;

	ui_fill(tui, y, 0, tui->cols, A_NORMAL);
	if (tui->form == NULL)
		n = keys_footer(view_current(tui)->ops->name, tui->cols, items,
		    32);
	else if (tui->form->kind == FORM_CONFIRM) {
		it = confirm_keys;
		n = 2;
	} else if (tui->form->kind == FORM_PROMPT) {
		it = prompt_keys;
		n = 3;
	} else {
		it = box_keys;
		n = 4;
	}
	/* The key in colour, its label plain. */
	for (i = 0; i < n && x < tui->cols; i++) {
		x += ui_text(tui, y, x, tui->cols - x, it[i].key,
		    ui_attr(tui, UA_KEY), false);
		x += ui_text(tui, y, x, tui->cols - x, " ", A_NORMAL, false);
		x += ui_text(tui, y, x, tui->cols - x, it[i].label, A_NORMAL,
		    false);
		x += ui_text(tui, y, x, tui->cols - x, "  ", A_NORMAL, false);
	}
}

void
ui_draw(struct tui *tui)
{
	struct view *v = view_current(tui);
	int64_t now = db_now(tui->db);

	tui->rows = LINES;
	tui->cols = COLS;
	werase(stdscr);
	if (tui->rows < UI_MIN_ROWS || tui->cols < UI_MIN_COLS) {
		ui_text(tui, 0, 0, tui->cols, "terminal too small", A_BOLD,
		    false);
		curs_set(0);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_header(tui, now);
	draw_tabs(tui);
	view_draw(v, 2, tui->rows - 4, tui->cols);
	if (tui->msg[0] != '\0')
		ui_text(tui, tui->rows - 2, 0, tui->cols, tui->msg,
		    ui_attr(tui, tui->msg_error ? UA_ERROR : UA_INFO), false);
	draw_footer(tui);
	form_draw(tui);
	wnoutrefresh(stdscr);
	doupdate();
}

static void
ui_resize(struct tui *tui)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	tui->rows = LINES;
	tui->cols = COLS;
	clearok(curscr, TRUE);
	tui->dirty = true;
	log_debug("resize %dx%d", tui->cols, tui->rows);
}

static void
handle_key(struct tui *tui, int key)
{
	struct view *v;

	if (key == TK_FN(KEY_RESIZE))
		return;
	if (tui->form != NULL) {
		form_key(tui, key);
		return;
	}
	v = view_current(tui);
	view_request(tui, keys_lookup(v->ops->name, key));
}

static void
read_keys(struct tui *tui)
{
	wint_t wch;
	int rc;

	while (!tui->quit && (rc = wget_wch(stdscr, &wch)) != ERR) {
		if (rc == KEY_CODE_YES)
			handle_key(tui, TK_FN((int)wch));
		else
			handle_key(tui, (int)wch);
	}
}

/* Subscribe to the daemon's "changed" events when one runs: a pulled
 * change then shows at once, before inotify or the data_version poll
 * would see it. */
static void
sub_try(int64_t now)
{
	static const char req[] = "{\"cmd\":\"subscribe\"}\n";

	if (sub_fd >= 0 || now < sub_next_try)
		return;
	sub_next_try = now + SUB_RETRY_MS;
	if ((sub_fd = ctlsock_connect()) < 0)
		return;
	if (send(sub_fd, req, sizeof req - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof req - 1)) {
		close(sub_fd);
		sub_fd = -1;
	}
}

/* Read what the daemon sent; true when it said something changed.  On
 * EOF the subscription is closed and tried again later. */
static bool
sub_drain(void)
{
	char buf[1024];
	bool changed = false;
	ssize_t n;

	while ((n = read(sub_fd, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "changed") != NULL)
			changed = true;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(sub_fd);
		sub_fd = -1;
	}
	return changed;
}

/* Reload if another process changed the database. */
static void
check_changes(struct tui *tui, int64_t now)
{
	struct tock_err err = TOCK_ERR_INIT;
	int64_t ver;

	if (db_data_version(tui->db, &ver, &err) != 0) {
		tui_error(tui, &err);
		return;
	}
	if (ver != tui->data_version || time_day_start(now) !=
	    tui->today_start) {
		log_debug("data_version %lld -> %lld", (long long)
		    tui->data_version, (long long)ver);
		tui_reload(tui);
	}
}

int
ui_run(struct tui *tui)
{
	struct pollfd pfd[3];
	struct timespec ts;
	sigset_t none;
	int64_t now, next_poll, next_tick, wait_ms;
	int n, nfd, ino = -1, sub = -1;

	sigemptyset(&none);
	now = time_now_ms();
	next_poll = now + UI_POLL_MS;
	next_tick = (now / 1000 + 1) * 1000;
	tui->dirty = true;
	while (!tui->quit && !sig_quit) {
		if (sig_winch) {
			sig_winch = 0;
			ui_resize(tui);
		}
		now = time_now_ms();
		if (now >= next_poll) {
			check_changes(tui, now);
			next_poll = now + UI_POLL_MS;
		}
		if (now >= next_tick) {
			/* The header clock and running durations move. */
			if (tui->running != NULL) {
				struct view *v = view_current(tui);

				if (v->ops->flags & VIEW_LIVE) {
					v->loaded = false;
					view_ensure_loaded(v);
				}
				tui->dirty = true;
			}
			next_tick = (now / 1000 + 1) * 1000;
		}
		if (tui->msg[0] != '\0' && now >= tui->msg_until) {
			tui->msg[0] = '\0';
			tui->dirty = true;
		}
		if (tui->dirty) {
			tui->dirty = false;
			ui_draw(tui);
		}
		wait_ms = next_poll - now;
		if (tui->running != NULL && next_tick - now < wait_ms)
			wait_ms = next_tick - now;
		if (tui->msg[0] != '\0' && tui->msg_until - now < wait_ms)
			wait_ms = tui->msg_until - now;
		if (wait_ms < 0)
			wait_ms = 0;
		sub_try(now);
		if (sub_fd < 0 && sub_next_try - now < wait_ms)
			wait_ms = sub_next_try - now < 0 ? 0 :
			    sub_next_try - now;
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		nfd = 1;
		ino = sub = -1;
		if (inotify_fd >= 0) {
			pfd[nfd].fd = inotify_fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			ino = nfd++;
		}
		if (sub_fd >= 0) {
			pfd[nfd].fd = sub_fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			sub = nfd++;
		}
		n = ppoll(pfd, (nfds_t)nfd, &ts, &none);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("ppoll");
			return 1;
		}
		if (ino >= 0 && (pfd[ino].revents & POLLIN) && inotify_drain())
			check_changes(tui, time_now_ms());
		if (sub >= 0 && pfd[sub].revents != 0 && sub_drain())
			check_changes(tui, time_now_ms());
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		if (pfd[0].revents & POLLIN)
			read_keys(tui);
	}
	return sig_quit ? 128 + sig_quit : 0;
}

int
tui_width_n(const char *s, size_t len)
{
	char stack[512], *p = stack;
	int w;

	if (len >= sizeof stack)
		p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	w = text_width(p);
	if (p != stack)
		free(p);
	return w;
}

size_t
tui_cp_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n, i;

	if (c == 0)
		return 0;
	n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}
