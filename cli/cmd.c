/* cmd.c - the command table, sorted by name; tock help is made from it. */
#include <string.h>

#include "cmd.h"

#define DB CMD_NEEDS_DB
#define RO (CMD_NEEDS_DB | CMD_READONLY)
/* The commands that open the database only after checking arguments. */
#define LDB (DB | CMD_LAZY_DB)
#define LRO (RO | CMD_LAZY_DB)

const struct cmd_entry cmd_table[] = {
	{ "add", cmd_add, LDB,
	  "add TITLE [-d DESC] [--due WHEN] [--assign EMAIL|me] [--tag T]... "
	  "[--priority P] [--meta K=V]... [--branch NAME]",
	  "Create a task" },
	{ "comment", cmd_comment, LDB, "comment TASK TEXT|-",
	  "Add a comment to a task" },
	{ "completion", cmd_completion, 0, "completion bash|zsh|fish",
	  "Print a shell completion script" },
	{ "conflicts", cmd_conflicts, LDB, "conflicts [--all] [--json] | "
	  "conflicts seen [ID]",
	  "Show edits that lost to a concurrent edit" },
	{ "done", cmd_done, LDB, "done TASK...",
	  "Mark tasks done (stops their timer)" },
	{ "edit", cmd_edit, LDB,
	  "edit TASK [--title T] [-d DESC] [--status S] [--due WHEN|none] "
	  "[--assign EMAIL|me|none] [--tag +T|-T]... [--priority P|none] "
	  "[--meta K=V]... [--branch NAME|none]",
	  "Change a task's fields" },
	{ "entry", cmd_entry, LDB,
	  "entry edit ID [--start WHEN] [--end WHEN] [--note TEXT] | "
	  "entry rm ID",
	  "Edit or delete a time entry" },
	{ "export", cmd_export, LRO,
	  "export [--format json|csv|ical] [--what entries|tasks|comments] "
	  "[--since WHEN] [--until WHEN] [-o FILE]",
	  "Export tasks, time entries and comments" },
	{ "help", cmd_help, 0, "help [COMMAND]",
	  "Show the commands, or one command's usage" },
	{ "hook", cmd_hook, 0, "hook install|uninstall [--repo DIR]",
	  "Install git hooks that track time per branch" },
	{ "import", cmd_import, LDB,
	  "import timewarrior|taskwarrior|watson|tock FILE|- "
	  "[--map TAG=TITLE]... [--dry-run] [--json]",
	  "Import history from other trackers (idempotent)" },
	{ "inbox", cmd_inbox, LDB, "inbox [--all] [--json] | "
	  "inbox read N|--all",
	  "Your notifications: assignments, comments, due tasks (offline)" },
	{ "log", cmd_log, LRO,
	  "log [--since WHEN] [--until WHEN] [--task TASK]",
	  "List time entries by day" },
	{ "login", cmd_login, LDB,
	  "login URL [--email E] [--password-stdin] [--device-name N]",
	  "Log in to a tock server and sync this replica" },
	{ "logout", cmd_logout, LDB, "logout",
	  "Log out (revokes this device on the server)" },
	{ "ls", cmd_ls, LRO,
	  "ls [--status S] [--tag T] [--mine] [--due-before WHEN] [--all] "
	  "[--deleted]",
	  "List tasks" },
	{ "member", cmd_member, LDB,
	  "member ls [--workspace W] | member add EMAIL --role R "
	  "[--workspace W] | member rm EMAIL [--workspace W]",
	  "List and manage the members of a workspace" },
	{ "notify", cmd_notify, LDB, "notify [--json] | "
	  "notify on|off assigned|comment|due|all...",
	  "Show or choose which notifications you get (needs the server)" },
	{ "report", cmd_report, LRO,
	  "report [--day|--week|--month|--since WHEN [--until WHEN]] "
	  "[--by task|tag|day|user] [--json|--csv]",
	  "Totals over a range, with a per-day chart" },
	{ "restore", cmd_restore, LDB, "restore TASK...",
	  "Bring back deleted tasks" },
	{ "rm", cmd_rm, LDB, "rm TASK...", "Delete tasks (restore undoes it)" },
	{ "show", cmd_show, LRO, "show TASK",
	  "Show a task with its time entries and comments" },
	{ "start", cmd_start, LDB, "start [TASK | TITLE] [--at WHEN] "
	  "[--note TEXT] [--branch NAME]",
	  "Start the timer (stops the running one; no TASK resumes the last)" },
	{ "status", cmd_status, 0, "status [--format FMT]",
	  "Print the running timer for shell prompts (exit 1 if none)" },
	{ "stop", cmd_stop, LDB, "stop [--at WHEN]", "Stop the running timer" },
	{ "sync", cmd_sync, LDB, "sync [--wait] [--timeout SECS] | "
	  "sync status [--json] | sync quarantine [--json]",
	  "Sync with the server now, or show the sync state" },
	{ "track", cmd_track, LDB,
	  "track TASK (FROM..TO | DURATION [--at WHEN]) [--note TEXT]",
	  "Record time after the fact" },
	{ "ui", cmd_ui, CMD_PASS_ARGS, "ui [-hv] [--db PATH]",
	  "Open the terminal interface (tock-tui)" },
	{ "version", cmd_version, 0, "version", "Print tock's version" },
	{ "workspace", cmd_workspace, LDB,
	  "workspace ls [--json] | workspace use NAME|ID | "
	  "workspace create NAME",
	  "List, choose and create workspaces" },
	{ NULL, NULL, 0, NULL, NULL },
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
