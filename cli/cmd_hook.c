/*
 * cmd_hook.c - tock hook: git hooks that track time per branch.
 *
 *   tock hook install [--repo DIR]    write the hooks into the repository
 *   tock hook uninstall [--repo DIR]  remove exactly what install wrote
 *   tock hook run HOOK ARGS...        (internal) what the hook scripts call
 *
 * Three hooks, each a short POSIX sh script marked by HOOK_MARKER:
 *
 *   post-checkout       a branch checkout starts the timer of the open task
 *                       whose metadata.branch names the branch (tock edit
 *                       TASK --branch NAME, tock start --branch NAME);
 *   prepare-commit-msg  adds "Tock-Task: <id prefix> <title>" for the
 *                       running timer as a git trailer;
 *   commit-msg          adds that trailer after the editor, in the one case
 *                       prepare-commit-msg must not: an empty message, which
 *                       git aborts on, and which a trailer would make
 *                       non-empty (git's own --trailer has that flaw).
 *
 * A hook file already in place that is not ours is renamed to
 * <hook>.tock-chained; our script runs it first with the same arguments and
 * stdin and exits with its status, so a failing user prepare-commit-msg
 * still aborts the commit.  tock's own failures never fail a git command.
 *
 * Finding the hooks directory takes git (core.hooksPath, worktrees), so
 * install runs "git rev-parse --git-path hooks" once.  The hooks themselves
 * never run git: git runs hooks at the top of the work tree, where .git (a
 * directory, or in a linked worktree a "gitdir:" file) leads to HEAD.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "db_branch.h"
#include "err.h"
#include "ops.h"
#include "output.h"
#include "strbuf.h"
#include "xmalloc.h"

#define COMMAND_NAME "hook"

#define HOOK_MARKER "# installed by tock hook install"
#define CHAINED ".tock-chained"
#define TRAILER_KEY "Tock-Task"
/* How much of a task id goes into a trailer: the prefix tock shows for
 * tasks without a number.  An id, not the local number, because numbers
 * are per replica and reused, while commits are shared. */
#define TRAILER_ID_LEN 13
/* The comment prepare-commit-msg leaves for commit-msg when the message
 * is still empty; the line after it explains it to the person editing. */
#define HINT_PREFIX "# " TRAILER_KEY ": "
#define HINT_NOTE "#   ^ tock adds this trailer when you write a message; " \
	"delete it to leave it out"
#define SCISSORS "# ------------------------ >8 ------------------------"
#define MSG_MAX (16 * 1024 * 1024)

extern char **environ;

static const char *const hook_names[] = {
	"post-checkout",
	"prepare-commit-msg",
	"commit-msg",
};
#define NHOOKS (sizeof hook_names / sizeof hook_names[0])

static const struct option opts[] = {
	{ "repo", required_argument, NULL, 'C' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* ---- files ------------------------------------------------------------ */

/* Read a whole file (at most max bytes) into sb; -1 with errno set. */
static int
read_file(struct strbuf *sb, const char *path, size_t max)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (sb->len + (size_t)n > max) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		strbuf_add(sb, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* Rewrite a commit message file in place: git holds its name, not an fd,
 * and a rename would drop whatever mode the user gave it. */
static int
write_file(const char *path, const struct strbuf *sb)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(sb->buf, 1, sb->len, f) != sb->len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Ours when the marker line is among the first few lines. */
static bool
is_our_hook(const char *path)
{
	char buf[512];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "\n" HOOK_MARKER) != NULL;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- git, at install time only --------------------------------------- */

/*
 * Run git with argv (argv[0] is "git") and return its first line of
 * output, malloc'd.  stderr goes to /dev/null: callers say what failed in
 * their own words.  TOCK_ENOTFOUND when git ran and failed, TOCK_ERR when
 * it could not be run.
 */
static int
git_line(char **out, char *const argv[], struct tock_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	posix_spawn_file_actions_t fa;
	char chunk[1024];
	int fds[2], status, rc;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return tock_err_set(err, TOCK_ERR, "cannot run git: %s",
		    strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	    O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	rc = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return tock_err_set(err, TOCK_ERR, "cannot run git: %s",
		    strerror(rc));
	}
	while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if (sb.len < 64 * 1024)
			strbuf_add(&sb, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		strbuf_release(&sb);
		return TOCK_ENOTFOUND;
	}
	sb.buf[strcspn(sb.buf, "\n")] = '\0';
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

/* The directory git runs this repository's hooks from: core.hooksPath
 * when set (relative to the work tree's top), else the common git dir's
 * hooks/, which linked worktrees share. */
static int
hooks_dir(char **out, const char *repo, struct tock_err *err)
{
	char *argv[8], *dir = NULL;
	struct stat st;
	int i = 0, rc;

	if (repo != NULL && stat(repo, &st) != 0)
		return tock_err_set(err, TOCK_ERR, "cannot use '%s': %s", repo,
		    strerror(errno));
	if (repo != NULL && !S_ISDIR(st.st_mode))
		return tock_err_set(err, TOCK_ERR, "'%s' is not a directory",
		    repo);
	argv[i++] = "git";
	if (repo != NULL) {
		argv[i++] = "-C";
		argv[i++] = (char *)repo;
	}
	argv[i++] = "rev-parse";
	argv[i++] = "--path-format=absolute";
	argv[i++] = "--git-path";
	argv[i++] = "hooks";
	argv[i] = NULL;
	rc = git_line(&dir, argv, err);
	if (rc == TOCK_ENOTFOUND) {
		if (repo != NULL)
			return tock_err_set(err, TOCK_ERR,
			    "'%s' is not a git repository", repo);
		return tock_err_set(err, TOCK_ERR,
		    "not in a git repository (use --repo DIR)");
	}
	if (rc != 0)
		return rc;
	/* --path-format needs git 2.31; older ones echo the option back. */
	if (dir[0] != '/') {
		free(dir);
		return tock_err_set(err, TOCK_ERR,
		    "cannot find the hooks directory (git 2.31 or later "
		    "is needed)");
	}
	*out = dir;
	return 0;
}

/* ---- install / uninstall -------------------------------------------- */

/* s as one sh word in single quotes. */
static void
sh_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/*
 * The script for hook name.  It stays small because it is on the path of
 * every checkout and commit: one sh, one test, one exec of tock.  The
 * tock binary is the one that ran install, found again in PATH if it has
 * moved since.  "|| :" and the explicit exit keep tock's status out of
 * git's sight.
 */
static void
hook_script(struct strbuf *sb, const char *name, const char *exe)
{
	strbuf_addf(sb, "#!/bin/sh\n"
	    HOOK_MARKER "; 'tock hook uninstall' removes it.\n");
	if (strcmp(name, "post-checkout") == 0)
		strbuf_addstr(sb, "# A branch checkout starts the timer of the "
		    "task linked to the branch.\n");
	else if (strcmp(name, "prepare-commit-msg") == 0)
		strbuf_addstr(sb, "# Adds a Tock-Task trailer for the running "
		    "timer to the commit message.\n");
	else
		strbuf_addstr(sb, "# Adds the Tock-Task trailer that "
		    "prepare-commit-msg left pending\n"
		    "# for an empty message.\n");
	strbuf_addf(sb, "# The hook that was here before tock, if any, is %s"
	    CHAINED ":\n# it runs first, and its exit status is this hook's."
	    "\ns=0\n"
	    "if [ -x \"$0" CHAINED "\" ]; then\n"
	    "\t\"$0" CHAINED "\" \"$@\" || s=$?\n"
	    "fi\n", name);
	if (strcmp(name, "post-checkout") == 0)
		strbuf_addstr(sb, "[ \"$3\" = 1 ] || exit $s\n");
	else
		strbuf_addstr(sb, "[ $s = 0 ] || exit $s\n");
	strbuf_addstr(sb, "t=");
	sh_quote(sb, exe);
	strbuf_addf(sb, "\n[ -x \"$t\" ] || t=$(command -v tock) || exit $s\n"
	    "\"$t\" hook run %s \"$@\" </dev/null || :\n"
	    "exit $s\n", name);
}

/* What install or uninstall did to one hook, for the report. */
enum hook_action {
	HOOK_INSTALLED,		/* new file */
	HOOK_CHAINED,		/* new; the old one is .tock-chained */
	HOOK_UPDATED,		/* ours already, rewritten */
	HOOK_REMOVED,		/* ours, deleted */
	HOOK_RESTORED,		/* ours gone, the chained one put back */
	HOOK_NOT_OURS,		/* someone else's; left alone */
	HOOK_ABSENT,		/* nothing there */
};

static const char *const action_names[] = {
	"installed", "chained", "updated", "removed", "restored", "not_ours",
	"absent",
};

static int
write_hook(const char *dir, const char *name, const char *exe,
    bool chain, struct tock_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s", dir, name);
	char *chained = xasprintf("%s" CHAINED, path);
	char *tmp = xasprintf("%s/.%s.tock-XXXXXX", dir, name);
	int fd = -1, rc = 0;

	hook_script(&sb, name, exe);
	/* Write aside and rename, so git never runs half a script. */
	if ((fd = mkstemp(tmp)) == -1) {
		rc = tock_err_set(err, TOCK_EIO, "cannot create a file in "
		    "'%s': %s", dir, strerror(errno));
		goto out;
	}
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len ||
	    fchmod(fd, 0755) != 0 || close(fd) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot write '%s': %s", tmp,
		    strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (chain && rename(path, chained) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot rename '%s': %s",
		    path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = tock_err_set(err, TOCK_EIO, "cannot install '%s': %s",
		    path, strerror(errno));
		unlink(tmp);
		if (chain)
			rename(chained, path);
	}
out:
	if (fd != -1)
		close(fd);
	strbuf_release(&sb);
	free(path);
	free(chained);
	free(tmp);
	return rc;
}

static int
mkdirs(const char *path)
{
	char *p = xstrdup(path), *s, c;
	int rc = 0;

	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

static int
hook_install(const char *dir, enum hook_action act[NHOOKS],
    struct tock_err *err)
{
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;
	int rc;

	/* Absolute, so the hook finds this tock whatever git's PATH is. */
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		snprintf(exe, sizeof exe, "tock");
	else
		exe[n] = '\0';
	/* Decide everything before changing anything: a refusal must
	 * leave the directory as it was. */
	for (i = 0, rc = 0; i < NHOOKS && rc == 0; i++) {
		char *path = xasprintf("%s/%s", dir, hook_names[i]);
		char *chained = xasprintf("%s" CHAINED, path);

		if (!exists(path))
			act[i] = HOOK_INSTALLED;
		else if (is_our_hook(path))
			act[i] = HOOK_UPDATED;
		else if (!exists(chained))
			act[i] = HOOK_CHAINED;
		else
			rc = tock_err_set(err, TOCK_EEXISTS, "'%s' exists and "
			    "so does '%s': move one of them away first", path,
			    chained);
		free(path);
		free(chained);
	}
	if (rc != 0)
		return rc;
	/* core.hooksPath may name a directory nobody has made yet. */
	if (mkdirs(dir) != 0)
		return tock_err_set(err, TOCK_EIO, "cannot create '%s': %s",
		    dir, strerror(errno));
	for (i = 0; i < NHOOKS; i++)
		if ((rc = write_hook(dir, hook_names[i], exe,
		    act[i] == HOOK_CHAINED, err)) != 0)
			return rc;
	return 0;
}

static int
hook_uninstall(const char *dir, enum hook_action act[NHOOKS],
    struct tock_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < NHOOKS && rc == 0; i++) {
		char *path = xasprintf("%s/%s", dir, hook_names[i]);
		char *chained = xasprintf("%s" CHAINED, path);
		bool ours = is_our_hook(path);

		if (exists(path) && !ours)
			act[i] = HOOK_NOT_OURS;
		else if (exists(chained)) {
			/* Over ours, or back in place if ours is gone. */
			act[i] = HOOK_RESTORED;
			if (rename(chained, path) != 0)
				rc = tock_err_set(err, TOCK_EIO,
				    "cannot restore '%s': %s", chained,
				    strerror(errno));
		} else if (ours) {
			act[i] = HOOK_REMOVED;
			if (unlink(path) != 0)
				rc = tock_err_set(err, TOCK_EIO,
				    "cannot remove '%s': %s", path,
				    strerror(errno));
		} else
			act[i] = HOOK_ABSENT;
		free(path);
		free(chained);
	}
	return rc;
}

static void
report(struct tock_ctx *ctx, const char *dir, const enum hook_action act[])
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (ctx->json) {
		strbuf_addstr(&sb, "{\"hooks_dir\":");
		strbuf_add_json_str(&sb, dir);
		strbuf_addstr(&sb, ",\"hooks\":[");
		for (i = 0; i < NHOOKS; i++)
			strbuf_addf(&sb, "%s{\"name\":\"%s\","
			    "\"action\":\"%s\"}", i ? "," : "", hook_names[i],
			    action_names[act[i]]);
		strbuf_addstr(&sb, "]}");
		out_json(&sb);
		strbuf_release(&sb);
		return;
	}
	printf("Hooks directory: %s\n", dir);
	for (i = 0; i < NHOOKS; i++) {
		const char *n = hook_names[i];

		switch (act[i]) {
		case HOOK_INSTALLED:
			printf("  installed %s\n", n);
			break;
		case HOOK_CHAINED:
			printf("  installed %s (your hook, now %s" CHAINED
			    ", runs first)\n", n, n);
			break;
		case HOOK_UPDATED:
			printf("  updated %s\n", n);
			break;
		case HOOK_REMOVED:
			printf("  removed %s\n", n);
			break;
		case HOOK_RESTORED:
			printf("  removed %s (your hook is back in place)\n",
			    n);
			break;
		case HOOK_NOT_OURS:
			printf("  left %s alone (not installed by tock)\n", n);
			break;
		case HOOK_ABSENT:
			printf("  %s was not installed\n", n);
			break;
		}
	}
}

/* ---- the hooks at run time ------------------------------------------- */

/*
 * The git directory of the work tree the hook runs in, malloc'd, or NULL.
 * git runs hooks at the top of the work tree (githooks(5)) and exports
 * GIT_DIR only in some cases; otherwise .git is the git directory, or in a
 * linked worktree a file "gitdir: PATH" naming the worktree's own one
 * (where its HEAD and its rebase state live).  A bare repository runs its
 * hooks in the git directory itself.
 */
static char *
run_git_dir(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *env = getenv("GIT_DIR");
	struct stat st;
	char *p;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (stat(".git", &st) != 0)
		return access("HEAD", F_OK) == 0 ? xstrdup(".") : NULL;
	if (S_ISDIR(st.st_mode))
		return xstrdup(".git");
	if (read_file(&sb, ".git", 4096) != 0 ||
	    strncmp(sb.buf, "gitdir: ", 8) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	sb.buf[strcspn(sb.buf, "\r\n")] = '\0';
	p = xstrdup(sb.buf + 8);
	strbuf_release(&sb);
	return p;
}

/* The checked-out branch's short name, malloc'd; NULL when HEAD is
 * detached or unreadable. */
static char *
run_branch(const char *gitdir)
{
	static const char pfx[] = "ref: refs/heads/";
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/HEAD", gitdir), *name = NULL;
	int rc;

	rc = read_file(&sb, path, 4096);
	free(path);
	if (rc == 0 && strncmp(sb.buf, pfx, sizeof pfx - 1) == 0) {
		sb.buf[strcspn(sb.buf, "\r\n")] = '\0';
		name = xstrdup(sb.buf + sizeof pfx - 1);
	}
	strbuf_release(&sb);
	/* A reftable repository keeps this placeholder in HEAD; only git
	 * can tell, and such repositories are rare enough to pay for it. */
	if (name != NULL && strcmp(name, ".invalid") == 0) {
		char *argv[] = { "git", "symbolic-ref", "--quiet", "--short",
		    "HEAD", NULL };

		free(name);
		name = NULL;
		if (git_line(&name, argv, NULL) != 0)
			name = NULL;
	}
	if (name != NULL && *name == '\0') {
		free(name);
		name = NULL;
	}
	return name;
}

/*
 * post-checkout PREV NEW FLAG: FLAG 1 is a branch checkout (0 is files).
 * A branch linked to an open task starts its timer, unless it runs
 * already; a branch linked to nothing leaves the timer alone, so that a
 * quick look at main does not stop the clock.
 */
static int
run_post_checkout(struct tock_ctx *ctx, int argc, char **argv)
{
	struct tock_err err = TOCK_ERR_INIT;
	char task_id[UUID_STRLEN + 1], entry_id[UUID_STRLEN + 1];
	struct entry *running = NULL, *e = NULL;
	char *gitdir = NULL, *branch = NULL;
	int rc = EXIT_OK;

	if (argc < 4 || strcmp(argv[3], "1") != 0)
		return EXIT_OK;
	if ((gitdir = run_git_dir()) == NULL ||
	    (branch = run_branch(gitdir)) == NULL)
		goto out;
	if ((rc = cmd_open_db(ctx, false)) != 0)
		goto out;
	if (db_branch_task(ctx->db, task_id, branch, &err) != 0) {
		if (err.code != 0)
			rc = out_fail(&err);
		goto out;
	}
	if (db_entry_running(ctx->db, &running, NULL) == 0 &&
	    strcmp(running->task_id, task_id) == 0)
		goto out;
	if (ops_timer_start(ctx->db, task_id, db_now(ctx->db), NULL,
	    entry_id, NULL, &err) != 0 ||
	    db_entry_get(ctx->db, &e, entry_id, &err) != 0) {
		rc = out_fail(&err);
		goto out;
	}
	/* The one line: the timer changing is worth knowing about. */
	if (e->task_num > 0)
		fprintf(stderr, "tock: tracking '%s' (task %d) on branch %s\n",
		    e->task_title ? e->task_title : "", e->task_num, branch);
	else
		fprintf(stderr, "tock: tracking '%s' on branch %s\n",
		    e->task_title ? e->task_title : "", branch);
out:
	entry_free(running);
	entry_free(e);
	free(gitdir);
	free(branch);
	return rc;
}

/* ---- commit messages --------------------------------------------------- */

/*
 * A commit message file cut into lines.  Which lines are comments depends
 * on whether an editor runs: git strips '#' lines only then (cleanup
 * "strip"), and with -m or --no-edit they are part of the message.  The
 * scissors line of "commit -v" ends the message when editing.  This does
 * not know core.commentChar; '#' is git's default.
 */
struct msg {
	const char *buf;
	size_t len;
	size_t *off;		/* line starts; off[n]: end of the message */
	int n;			/* lines, up to the scissors if editing */
	bool editor;
};

static void
msg_init(struct msg *m, const char *buf, size_t len, bool editor)
{
	size_t i, cap = 16;

	m->buf = buf;
	m->len = len;
	m->editor = editor;
	m->off = xmalloc(cap * sizeof *m->off);
	m->n = 0;
	for (i = 0; i < len; ) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t next = nl ? (size_t)(nl - buf) + 1 : len;

		if (editor && next - i >= sizeof SCISSORS - 1 &&
		    strncmp(buf + i, SCISSORS, sizeof SCISSORS - 1) == 0)
			break;
		if ((size_t)m->n + 2 > cap)
			m->off = xrealloc(m->off, (cap *= 2) * sizeof *m->off);
		m->off[m->n++] = i;
		i = next;
	}
	/* Where the message part ends: the scissors line, or the end. */
	m->off[m->n] = i < len ? i : len;
}

static void
msg_release(struct msg *m)
{
	free(m->off);
}

/* Line i without its newline. */
static const char *
msg_line(const struct msg *m, int i, size_t *len)
{
	size_t end = m->off[i + 1];

	if (end > m->off[i] && m->buf[end - 1] == '\n')
		end--;
	*len = end - m->off[i];
	return m->buf + m->off[i];
}

static bool
msg_comment(const struct msg *m, int i)
{
	size_t len;
	const char *s = msg_line(m, i, &len);

	return m->editor && len > 0 && s[0] == '#';
}

static bool
msg_blank(const struct msg *m, int i)
{
	size_t len, j;
	const char *s = msg_line(m, i, &len);

	for (j = 0; j < len; j++)
		if (s[j] != ' ' && s[j] != '\t' && s[j] != '\r')
			return false;
	return true;
}

/* The last line of text (not blank, not a comment), or -1. */
static int
msg_last_text(const struct msg *m)
{
	int i;

	for (i = m->n - 1; i >= 0; i--)
		if (!msg_blank(m, i) && !msg_comment(m, i))
			return i;
	return -1;
}

/* "Token: value" or "Token : value", the token of letters, digits and
 * dashes (git interpret-trailers' default separator). */
static bool
is_trailer(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
	    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
		i++;
	if (i == 0)
		return false;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < len && s[i] == ':';
}

/*
 * Whether the paragraph that ends at line last is a trailer block, by git's
 * rule (trailer.c): not the first paragraph (that is the title), and all of
 * its lines trailers (or their indented continuations) - or, when it holds
 * one git itself writes, at least a quarter of them.
 */
static bool
msg_has_trailer_block(const struct msg *m, int last)
{
	int i, first, trailers = 0, others = 0;
	bool gitgen = false, prev_trailer = false, before = false;

	for (first = last; first > 0; first--)
		if (msg_blank(m, first - 1))
			break;
	for (i = 0; i < first; i++)
		if (!msg_blank(m, i) && !msg_comment(m, i))
			before = true;
	if (!before)
		return false;
	for (i = first; i <= last; i++) {
		size_t len;
		const char *s = msg_line(m, i, &len);

		if (msg_comment(m, i))
			continue;
		if (prev_trailer && len > 0 && (s[0] == ' ' || s[0] == '\t'))
			continue;
		if (len >= 26 && strncmp(s, "(cherry picked from commit ",
		    26) == 0) {
			gitgen = true;
			trailers++;
			prev_trailer = true;
		} else if (is_trailer(s, len)) {
			if (strncmp(s, "Signed-off-by: ", 15) == 0)
				gitgen = true;
			trailers++;
			prev_trailer = true;
		} else {
			others++;
			prev_trailer = false;
		}
	}
	return trailers > 0 && (others == 0 || (gitgen && trailers * 3 >=
	    others));
}

/* A Tock-Task trailer for the task whose id prefix is id, anywhere in the
 * message text (a trailer moved into the body by hand still counts). */
static bool
msg_has_trailer(const struct msg *m, const char *id)
{
	size_t len, k = sizeof TRAILER_KEY - 1, idlen = strlen(id);
	const char *s, *v;
	int i;

	for (i = 0; i < m->n; i++) {
		if (msg_comment(m, i))
			continue;
		s = msg_line(m, i, &len);
		if (len <= k || strncasecmp(s, TRAILER_KEY, k) != 0)
			continue;
		for (v = s + k; v < s + len && (*v == ' ' || *v == '\t'); v++)
			;
		if (v == s + len || *v++ != ':')
			continue;
		while (v < s + len && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(s + len - v) >= idlen &&
		    strncasecmp(v, id, idlen) == 0)
			return true;
	}
	return false;
}

/*
 * sb = the message with trailer added after its last line of text: in the
 * trailer block if the message ends with one, else as a new paragraph.
 * Comments, the scissors and the diff below it stay where they were.
 */
static void
msg_add_trailer(struct strbuf *sb, const struct msg *m, int last,
    const char *trailer)
{
	size_t end = m->off[last + 1];

	strbuf_add(sb, m->buf, end);
	if (end == 0 || m->buf[end - 1] != '\n')
		strbuf_addch(sb, '\n');
	if (!msg_has_trailer_block(m, last))
		strbuf_addch(sb, '\n');
	strbuf_addf(sb, "%s\n", trailer);
	strbuf_add(sb, m->buf + end, m->len - end);
}

/* The running timer's trailer, or NULL when none runs. */
static char *
running_trailer(struct tock_ctx *ctx, char id[TRAILER_ID_LEN + 1])
{
	struct entry *e = NULL;
	char *t = NULL;

	if (cmd_open_db(ctx, true) != 0)
		return NULL;
	if (db_entry_running(ctx->db, &e, NULL) != 0)
		return NULL;
	if (e->task_id[0] != '\0') {
		snprintf(id, TRAILER_ID_LEN + 1, "%.*s", TRAILER_ID_LEN,
		    e->task_id);
		t = xasprintf(TRAILER_KEY ": %s %s", id,
		    e->task_title ? e->task_title : "");
	}
	entry_free(e);
	return t;
}

/* Whether git is replaying commits: their messages are not ours to sign. */
static bool
replaying(const char *gitdir)
{
	static const char *const state[] = { "CHERRY_PICK_HEAD",
	    "REVERT_HEAD", "rebase-merge", "rebase-apply" };
	size_t i;
	bool yes = false;

	for (i = 0; i < sizeof state / sizeof state[0] && !yes; i++) {
		char *p = xasprintf("%s/%s", gitdir, state[i]);

		yes = access(p, F_OK) == 0;
		free(p);
	}
	return yes;
}

/*
 * prepare-commit-msg FILE [SOURCE [SHA]].  Adds the running timer's
 * trailer unless it is there already (amend, -c).  Left alone: merges and
 * squashes (their commits carry their own trailers), and commits git
 * replays (rebase, cherry-pick, revert).  An empty message about to be
 * edited gets a comment instead, and commit-msg turns it into the trailer
 * if a message is written; a trailer now would make "quit the editor
 * without writing" commit instead of abort.  An empty message not edited
 * is left empty for git to refuse.
 */
static int
run_prepare_commit_msg(struct tock_ctx *ctx, int argc, char **argv)
{
	const char *source = argc > 2 ? argv[2] : "";
	const char *ed = getenv("GIT_EDITOR");
	struct strbuf in = STRBUF_INIT, sb = STRBUF_INIT;
	char id[TRAILER_ID_LEN + 1], *trailer = NULL, *gitdir = NULL;
	struct msg m = { 0 };
	int i, last, rc = EXIT_OK;

	if (argc < 2 || strcmp(source, "merge") == 0 ||
	    strcmp(source, "squash") == 0)
		return EXIT_OK;
	if ((gitdir = run_git_dir()) != NULL && replaying(gitdir))
		goto out;
	if ((trailer = running_trailer(ctx, id)) == NULL)
		goto out;
	if (read_file(&in, argv[1], MSG_MAX) != 0) {
		rc = out_error("cannot read '%s': %s", argv[1],
		    strerror(errno));
		goto out;
	}
	/* git sets GIT_EDITOR=: for the hook when no editor will run. */
	msg_init(&m, in.buf, in.len, ed == NULL || strcmp(ed, ":") != 0);
	if (msg_has_trailer(&m, id))
		goto out;
	if ((last = msg_last_text(&m)) >= 0)
		msg_add_trailer(&sb, &m, last, trailer);
	else if (m.editor) {
		/* Above git's instructions, below the empty first line the
		 * editor's cursor lands on. */
		for (i = 0; i < m.n && !msg_comment(&m, i); i++)
			;
		strbuf_add(&sb, in.buf, m.off[i]);
		if (i == 0)
			strbuf_addch(&sb, '\n');
		strbuf_addf(&sb, "# %s\n" HINT_NOTE "\n", trailer);
		strbuf_add(&sb, in.buf + m.off[i], in.len - m.off[i]);
	} else
		goto out;
	if (write_file(argv[1], &sb) != 0)
		rc = out_error("cannot write '%s': %s", argv[1],
		    strerror(errno));
out:
	msg_release(&m);
	strbuf_release(&in);
	strbuf_release(&sb);
	free(trailer);
	free(gitdir);
	return rc;
}

/*
 * commit-msg FILE: only acts on the comment prepare-commit-msg left in an
 * empty message.  If a message was written, the comment becomes the
 * trailer; if not, the file stays as it is and git aborts the commit.
 * Needs no database: the trailer is in the comment.
 */
static int
run_commit_msg(struct tock_ctx *ctx, int argc, char **argv)
{
	struct strbuf in = STRBUF_INIT, rest = STRBUF_INIT, sb = STRBUF_INIT;
	char id[TRAILER_ID_LEN + 1], *trailer = NULL;
	struct msg m = { 0 }, m2 = { 0 };
	size_t len, hl = sizeof HINT_PREFIX - 1;
	const char *s;
	int i, hint = -1, last, rc = EXIT_OK;

	if (argc < 2)
		return EXIT_OK;
	if (read_file(&in, argv[1], MSG_MAX) != 0)
		return out_error("cannot read '%s': %s", argv[1],
		    strerror(errno));
	msg_init(&m, in.buf, in.len, true);
	for (i = 0; i < m.n && hint < 0; i++) {
		s = msg_line(&m, i, &len);
		if (len > hl + TRAILER_ID_LEN &&
		    strncmp(s, HINT_PREFIX, hl) == 0)
			hint = i;
	}
	if (hint < 0 || msg_last_text(&m) < 0)
		goto out;
	s = msg_line(&m, hint, &len);
	trailer = xstrndup(s + 2, len - 2);
	snprintf(id, sizeof id, "%.*s", TRAILER_ID_LEN, s + hl);
	/* The message without the hint and its note. */
	strbuf_add(&rest, in.buf, m.off[hint]);
	i = hint + 1;
	if (i < m.n) {
		s = msg_line(&m, i, &len);
		if (len == sizeof HINT_NOTE - 1 &&
		    memcmp(s, HINT_NOTE, len) == 0)
			i++;
	}
	strbuf_add(&rest, in.buf + m.off[i], in.len - m.off[i]);
	msg_init(&m2, rest.buf, rest.len, true);
	if (!msg_has_trailer(&m2, id) && (last = msg_last_text(&m2)) >= 0)
		msg_add_trailer(&sb, &m2, last, trailer);
	else
		strbuf_add(&sb, rest.buf, rest.len);
	if (write_file(argv[1], &sb) != 0)
		rc = out_error("cannot write '%s': %s", argv[1],
		    strerror(errno));
out:
	msg_release(&m);
	msg_release(&m2);
	strbuf_release(&in);
	strbuf_release(&rest);
	strbuf_release(&sb);
	free(trailer);
	return rc;
}

/* tock hook run HOOK ARGS...: argv[0] is HOOK. */
static int
hook_run(struct tock_ctx *ctx, int argc, char **argv)
{
	if (argc < 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "hook run needs a hook name");
	if (strcmp(argv[0], "post-checkout") == 0)
		return run_post_checkout(ctx, argc, argv);
	if (strcmp(argv[0], "prepare-commit-msg") == 0)
		return run_prepare_commit_msg(ctx, argc, argv);
	if (strcmp(argv[0], "commit-msg") == 0)
		return run_commit_msg(ctx, argc, argv);
	out_error("unknown hook '%s'", argv[0]);
	return EXIT_USAGE;
}

int
cmd_hook(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	enum hook_action act[NHOOKS];
	const char *repo = NULL, *sub;
	char *dir = NULL;
	int c, rc;

	/* Before getopt: the hook arguments are git's, not options. */
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return hook_run(ctx, argc - 2, argv + 2);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': repo = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "say install or uninstall");
	sub = argv[optind];
	if (strcmp(sub, "install") != 0 && strcmp(sub, "uninstall") != 0)
		return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
	if ((rc = hooks_dir(&dir, repo, &err)) != 0)
		return out_fail(&err);
	if (strcmp(sub, "install") == 0)
		rc = hook_install(dir, act, &err);
	else
		rc = hook_uninstall(dir, act, &err);
	if (rc != 0)
		rc = out_fail(&err);
	else
		report(ctx, dir, act);
	free(dir);
	return rc;
}
