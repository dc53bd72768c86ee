/*
 * cmd.h - the command table and what every command gets (libgit2 src/cli,
 * git builtin/, tmux cmd_entry).  One file per command: cmd_<name>.c.
 */
#ifndef TOCK_CMD_H
#define TOCK_CMD_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct tock_err;

/* Exit statuses (DESIGN.md, man tock(1) EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOTFOUND = 3,
	EXIT_AMBIGUOUS = 4,
	EXIT_CONFLICT = 5,
	EXIT_NOLOGIN = 6,
};

struct tock_ctx {
	const char *db_path;	/* NULL until resolved */
	char *db_path_owned;	/* freed by main */
	struct db *db;		/* opened by main for CMD_NEEDS_DB */
	bool json;		/* --json given before the command */
	bool color;		/* stdout is a terminal and NO_COLOR unset */
	int width;		/* terminal columns; 0 = not a terminal */
	int verbose;
	const struct cmd_entry *cmd;	/* the command being run */
};

enum cmd_flags {
	CMD_NEEDS_DB = 1 << 0,	/* main opens the database first */
	CMD_READONLY = 1 << 1,	/* ... read-only, without creating it */
	CMD_LAZY_DB = 1 << 2,	/* the command calls cmd_db() itself, once its
				 * arguments are known good: a usage error
				 * never creates or touches the database */
	CMD_PASS_ARGS = 1 << 3,	/* its arguments, --help included, belong to
				 * the program it runs */
};

typedef int cmd_fn(int argc, char **argv, struct tock_ctx *ctx);

struct cmd_entry {
	const char *name;
	cmd_fn *fn;
	int flags;
	const char *usage;	/* matches the man page SYNOPSIS */
	const char *desc;	/* one line for tock help */
};

extern const struct cmd_entry cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

/* Open the database now (commands flagged CMD_NEEDS_DB get it from main). */
int cmd_open_db(struct tock_ctx *ctx, bool readonly);
/* For CMD_LAZY_DB commands: open the database as the table row says;
 * returns 0 or the exit status of the reported failure. */
int cmd_db(struct tock_ctx *ctx);

cmd_fn cmd_add, cmd_comment, cmd_completion, cmd_conflicts, cmd_done,
    cmd_edit, cmd_entry, cmd_export, cmd_help, cmd_hook, cmd_import, cmd_inbox, cmd_log,
    cmd_login, cmd_logout, cmd_ls, cmd_member, cmd_notify, cmd_report, cmd_restore,
    cmd_rm, cmd_show, cmd_start, cmd_status, cmd_stop, cmd_sync, cmd_track,
    cmd_ui, cmd_version, cmd_workspace;

#endif
