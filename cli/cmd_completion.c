/*
 * cmd_completion.c - tock completion bash|zsh|fish: print a shell
 * completion script made from the command table, so that a new command or
 * option completes without anyone editing three shell languages.
 *
 * Each row's usage string (the man page SYNOPSIS) is read for its options
 * ("--word", "-x"), whether each takes a value and which kind, and its
 * positional arguments.  A placeholder names the kind of value:
 *
 *   TASK      open tasks, from the local database (tock completion --tasks)
 *   FILE      file names        DIR   directory names
 *   COMMAND   tock's commands   a|b|c those words
 *   --branch  git branches of the current repository
 *
 * and anything else (TITLE, WHEN, TEXT) is free text, which completes to
 * nothing.  The scripts carry the table as data and share one small
 * driver per shell.
 *
 *   tock completion --tasks   (hidden) "NUM<TAB>TITLE" per open task, for
 *                             the scripts; prints nothing when there is no
 *                             database, since completion must never fail
 *                             noisily.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "db_branch.h"
#include "err.h"
#include "output.h"
#include "paths.h"
#include "strbuf.h"

#define COMMAND_NAME "completion"

#define MAX_FLAGS 24
#define MAX_POS 6
#define KIND_MAX 96

/* What a value or a positional argument completes to: "free", "task",
 * "file", "dir", "branch", "command", or "w:a,b,c" (those words). */
struct comp_flag {
	char name[32];
	char kind[KIND_MAX];	/* "" when the option takes no value */
};

struct comp_cmd {
	const struct cmd_entry *ce;
	struct comp_flag flags[MAX_FLAGS];
	int nflags;
	char pos[MAX_POS][KIND_MAX];
	int npos;
	bool repeat;		/* the last positional repeats (TASK...) */
};

/* Values the usage strings name only by a placeholder. */
static const struct {
	const char *flag;
	const char *kind;
} known_values[] = {
	{ "--status", "w:todo,in_progress,done,cancelled" },
	{ "--branch", "branch" },
};

static const struct option opts[] = {
	{ "tasks", no_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
is_word(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The kind of a placeholder such as "TASK", "FILE|-", "json|csv|ical". */
static void
classify(char kind[KIND_MAX], const char *tok, const char *flag)
{
	size_t n = strcspn(tok, "|");
	const char *p;
	char *q;
	size_t i;

	for (i = 0; flag != NULL && i < sizeof known_values /
	    sizeof known_values[0]; i++) {
		if (strcmp(flag, known_values[i].flag) == 0) {
			snprintf(kind, KIND_MAX, "%s", known_values[i].kind);
			return;
		}
	}
	if (n == 4 && strncmp(tok, "TASK", 4) == 0)
		snprintf(kind, KIND_MAX, "task");
	else if ((n == 4 && strncmp(tok, "FILE", 4) == 0) ||
	    (n == 4 && strncmp(tok, "PATH", 4) == 0))
		snprintf(kind, KIND_MAX, "file");
	else if (n == 3 && strncmp(tok, "DIR", 3) == 0)
		snprintf(kind, KIND_MAX, "dir");
	else if (n == 7 && strncmp(tok, "COMMAND", 7) == 0)
		snprintf(kind, KIND_MAX, "command");
	else {
		/* Words only when every alternative is one. */
		for (p = tok; *p; p += n + (p[n] == '|')) {
			n = strcspn(p, "|");
			if (!is_word(p, n)) {
				snprintf(kind, KIND_MAX, "free");
				return;
			}
		}
		snprintf(kind, KIND_MAX, "w:%s", tok);
		for (q = kind; *q; q++)
			if (*q == '|')
				*q = ',';
	}
}

/* Add an option once; its index, or -1 when there is no room. */
static int
add_flag(struct comp_cmd *c, const char *name, size_t n)
{
	int i;

	if (n == 0 || n >= sizeof c->flags[0].name)
		return -1;
	for (i = 0; i < c->nflags; i++)
		if (strlen(c->flags[i].name) == n &&
		    strncmp(c->flags[i].name, name, n) == 0)
			return i;
	if (c->nflags == MAX_FLAGS)
		return -1;
	memcpy(c->flags[c->nflags].name, name, n);
	c->flags[c->nflags].name[n] = '\0';
	c->flags[c->nflags].kind[0] = '\0';
	return c->nflags++;
}

/* One usage token without its brackets; *closes when it ended a group,
 * *repeat when it ended with "...". */
static void
strip(char *out, size_t size, const char *tok, size_t n, bool *closes,
    bool *repeat)
{
	*closes = *repeat = false;
	while (n > 0 && (*tok == '[' || *tok == '(')) {
		tok++;
		n--;
	}
	for (;;) {
		if (n >= 3 && strncmp(tok + n - 3, "...", 3) == 0) {
			n -= 3;
			*repeat = true;
		} else if (n > 0 && (tok[n - 1] == ']' || tok[n - 1] == ')')) {
			n--;
			*closes = true;
		} else
			break;
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, tok, n);
	out[n] = '\0';
}

/*
 * Read a usage string: "NAME ARGS", where ARGS are words, [optional]
 * groups, (groups), "a|b" alternatives, and " | NAME ..." for a second
 * form of the command (entry edit ... | entry rm ...).
 */
static void
parse_usage(struct comp_cmd *c, const struct cmd_entry *ce)
{
	const char *p = ce->usage + strlen(ce->name);
	char tok[128], next[128];
	bool closes, repeat, nc, nr, alt = false;
	size_t n;
	int slot = 0;

	memset(c, 0, sizeof *c);
	c->ce = ce;
	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			break;
		n = strcspn(p, " ");
		strip(tok, sizeof tok, p, n, &closes, &repeat);
		p += n;
		if (strcmp(tok, "|") == 0) {
			p += strspn(p, " ");
			n = strcspn(p, " ");
			if (n == strlen(ce->name) &&
			    strncmp(p, ce->name, n) == 0) {
				p += n;
				slot = 0;	/* the command's second form */
			} else
				alt = true;	/* [TASK | TITLE] */
			continue;
		}
		if (tok[0] == '-' && tok[1] != '\0') {
			const char *a = tok, *last = tok;
			size_t an;
			int fi = -1;

			for (; *a; a += an + (a[an] == '|')) {
				an = strcspn(a, "|");
				last = a;
				fi = add_flag(c, a, an);
			}
			/* The value belongs to the last alternative. */
			p += strspn(p, " ");
			n = strcspn(p, " ");
			if (closes || n == 0 || *p == '-' || *p == '[' ||
			    *p == '|')
				continue;
			strip(next, sizeof next, p, n, &nc, &nr);
			p += n;
			if (fi >= 0)
				classify(c->flags[fi].kind, next, last);
			continue;
		}
		if (alt) {
			alt = false;
			continue;
		}
		if (slot < c->npos) {
			/* A second form's word at this slot: merge the words
			 * ("edit" and "rm"). */
			char k[KIND_MAX];

			classify(k, tok, NULL);
			if (strncmp(k, "w:", 2) == 0 &&
			    strncmp(c->pos[slot], "w:", 2) == 0 &&
			    strlen(c->pos[slot]) + strlen(k) < KIND_MAX)
				snprintf(c->pos[slot] + strlen(c->pos[slot]),
				    KIND_MAX - strlen(c->pos[slot]), ",%s",
				    k + 2);
			slot++;
			continue;
		}
		if (c->npos == MAX_POS)
			continue;
		classify(c->pos[c->npos++], tok, NULL);
		slot = c->npos;
		c->repeat = repeat;
	}
	add_flag(c, "--help", 6);
}

/* ---- emitters ---------------------------------------------------------- */

/* s as one sh word in single quotes. */
static void
sh_quote(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* s in fish single quotes, where \ and ' are escaped. */
static void
fish_quote(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('\'');
}

/* The positional kinds as words, the last marked "+" if it repeats. */
static void
print_pos(const struct comp_cmd *c)
{
	int i;

	for (i = 0; i < c->npos; i++)
		printf("%s%s%s", i ? " " : "", c->pos[i],
		    c->repeat && i == c->npos - 1 ? "+" : "");
}

static const char bash_driver[] =
"# _tock_kind KIND WORD: complete WORD as a value of KIND.\n"
"_tock_kind()\n"
"{\n"
"\tlocal IFS=$'\\n' n t\n"
"\tcase $1 in\n"
"\ttask)\n"
"\t\tCOMPREPLY=($(compgen -W \"$(\"${_tock_cmd[@]}\" completion --tasks \\\n"
"\t\t    2>/dev/null | while IFS=$'\\t' read -r n t; do\n"
"\t\t\tprintf '%s\\n' \"$n\"\n"
"\t\tdone)\" -- \"$2\")) ;;\n"
"\tfile)\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\tCOMPREPLY=($(compgen -f -- \"$2\")) ;;\n"
"\tdir)\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\tCOMPREPLY=($(compgen -d -- \"$2\")) ;;\n"
"\tbranch)\n"
"\t\tCOMPREPLY=($(compgen -W \"$(git for-each-ref \\\n"
"\t\t    --format='%(refname:short)' refs/heads 2>/dev/null)\" \\\n"
"\t\t    -- \"$2\")) ;;\n"
"\tcommand)\n"
"\t\tCOMPREPLY=($(compgen -W \"${_tock_commands// /$'\\n'}\" -- \"$2\")) ;;\n"
"\tw:*)\n"
"\t\tt=${1#w:}\n"
"\t\tCOMPREPLY=($(compgen -W \"${t//,/$'\\n'}\" -- \"$2\")) ;;\n"
"\tesac\n"
"}\n"
"\n"
"_tock()\n"
"{\n"
"\tlocal cur=${COMP_WORDS[COMP_CWORD]} w cmd= kind= pending= i n=0 f a p\n"
"\tlocal -a _tock_cmd=(\"${COMP_WORDS[0]}\")\n"
"\n"
"\tCOMPREPLY=()\n"
"\t# Global options come before the command; --db is passed on, so\n"
"\t# that tasks come from the database the command will use.\n"
"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
"\t\tw=${COMP_WORDS[i]}\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\t_tock_cmd+=(--db \"$w\")\n"
"\t\t\tpending=\n"
"\t\t\tcontinue\n"
"\t\tfi\n"
"\t\tcase $w in\n"
"\t\t--db) pending=--db ;;\n"
"\t\t-*) ;;\n"
"\t\t*) cmd=$w; break ;;\n"
"\t\tesac\n"
"\tdone\n"
"\tif [[ -z $cmd ]]; then\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\t_tock_kind file \"$cur\"\n"
"\t\telif [[ $cur == -* ]]; then\n"
"\t\t\tCOMPREPLY=($(compgen -W \"$_tock_globals\" -- \"$cur\"))\n"
"\t\telse\n"
"\t\t\t_tock_kind command \"$cur\"\n"
"\t\tfi\n"
"\t\treturn 0\n"
"\tfi\n"
"\t_tock_spec \"$cmd\" || return 0\n"
"\tfor ((i++; i < COMP_CWORD; i++)); do\n"
"\t\tw=${COMP_WORDS[i]}\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\tpending=\n"
"\t\t\tcontinue\n"
"\t\tfi\n"
"\t\tcase $w in\n"
"\t\t-?*) [[ $a == *\" $w=\"* ]] && pending=$w ;;\n"
"\t\t*) ((n++)) ;;\n"
"\t\tesac\n"
"\tdone\n"
"\tif [[ -n $pending ]]; then\n"
"\t\tkind=${a#*\" $pending=\"}\n"
"\t\tkind=${kind%% *}\n"
"\telif [[ $cur == -* ]]; then\n"
"\t\tCOMPREPLY=($(compgen -W \"$f\" -- \"$cur\"))\n"
"\t\treturn 0\n"
"\telse\n"
"\t\tset -- $p\n"
"\t\tif ((n < $#)); then\n"
"\t\t\tshift $n\n"
"\t\t\tkind=$1\n"
"\t\telif (($# > 0)) && [[ ${!#} == *+ ]]; then\n"
"\t\t\tkind=${!#}\n"
"\t\tfi\n"
"\t\tkind=${kind%+}\n"
"\tfi\n"
"\t[[ -n $kind ]] && _tock_kind \"$kind\" \"$cur\"\n"
"\treturn 0\n"
"}\n"
"\n"
"complete -F _tock tock\n";

static void
emit_bash(const struct comp_cmd *cmds, int n)
{
	int i, j;

	printf("# bash completion for tock, made by 'tock completion bash' "
	    "(tock %s)\n# from its command table.  Load it with\n"
	    "#\tsource <(tock completion bash)\n"
	    "# in ~/.bashrc, or save it as\n"
	    "# ~/.local/share/bash-completion/completions/tock.\n\n",
	    TOCK_VERSION);
	printf("_tock_globals='--db --json -v --verbose --version --help'\n"
	    "_tock_commands='");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", cmds[i].ce->name);
	printf("'\n\n"
	    "# _tock_spec CMD: f = its options, a = \" OPTION=KIND \" for\n"
	    "# each option that takes a value, p = the kinds of its\n"
	    "# arguments (\"+\": repeats).\n"
	    "_tock_spec()\n{\n\tcase $1 in\n");
	for (i = 0; i < n; i++) {
		const struct comp_cmd *c = &cmds[i];

		printf("\t%s)\n\t\tf='", c->ce->name);
		for (j = 0; j < c->nflags; j++)
			printf("%s%s", j ? " " : "", c->flags[j].name);
		printf("'\n\t\ta=' ");
		for (j = 0; j < c->nflags; j++)
			if (c->flags[j].kind[0] != '\0')
				printf("%s=%s ", c->flags[j].name,
				    c->flags[j].kind);
		printf("'\n\t\tp='");
		print_pos(c);
		printf("' ;;\n");
	}
	printf("\t*) return 1 ;;\n\tesac\n}\n\n%s", bash_driver);
}

static const char zsh_driver[] =
"# _tock_kind KIND: complete the current word as a value of KIND.\n"
"_tock_kind() {\n"
"\tlocal -a l\n"
"\tlocal line\n"
"\tcase $1 in\n"
"\t(task)\n"
"\t\tfor line in ${(f)\"$(\"${_tock_cmd[@]}\" completion --tasks \\\n"
"\t\t    2>/dev/null)\"}; do\n"
"\t\t\tl+=(\"${line%%$'\\t'*}:${line#*$'\\t'}\")\n"
"\t\tdone\n"
"\t\t_describe -t tasks 'task' l ;;\n"
"\t(file) _files ;;\n"
"\t(dir) _files -/ ;;\n"
"\t(branch)\n"
"\t\tl=(${(f)\"$(git for-each-ref --format='%(refname:short)' \\\n"
"\t\t    refs/heads 2>/dev/null)\"})\n"
"\t\tcompadd -a l ;;\n"
"\t(command) _describe -t commands 'tock command' _tock_commands ;;\n"
"\t(w:*) l=(${(s:,:)${1#w:}}); compadd -a l ;;\n"
"\tesac\n"
"}\n"
"\n"
"_tock() {\n"
"\tlocal -a _tock_cmd f p\n"
"\tlocal -A a\n"
"\tlocal w cmd= kind= pending= i n=0\n"
"\n"
"\t_tock_cmd=(\"${words[1]}\")\n"
"\tfor ((i = 2; i < CURRENT; i++)); do\n"
"\t\tw=${words[i]}\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\t_tock_cmd+=(--db \"$w\")\n"
"\t\t\tpending=\n"
"\t\t\tcontinue\n"
"\t\tfi\n"
"\t\tcase $w in\n"
"\t\t(--db) pending=--db ;;\n"
"\t\t(-*) ;;\n"
"\t\t(*) cmd=$w; break ;;\n"
"\t\tesac\n"
"\tdone\n"
"\tif [[ -z $cmd ]]; then\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\t_files\n"
"\t\telif [[ $PREFIX == -* ]]; then\n"
"\t\t\tcompadd -a _tock_globals\n"
"\t\telse\n"
"\t\t\t_tock_kind command\n"
"\t\tfi\n"
"\t\treturn\n"
"\tfi\n"
"\t_tock_spec \"$cmd\" || return 1\n"
"\tfor ((i++; i < CURRENT; i++)); do\n"
"\t\tw=${words[i]}\n"
"\t\tif [[ -n $pending ]]; then\n"
"\t\t\tpending=\n"
"\t\t\tcontinue\n"
"\t\tfi\n"
"\t\tcase $w in\n"
"\t\t(-?*) (( ${+a[$w]} )) && pending=$w ;;\n"
"\t\t(*) ((n++)) ;;\n"
"\t\tesac\n"
"\tdone\n"
"\tif [[ -n $pending ]]; then\n"
"\t\tkind=${a[$pending]}\n"
"\telif [[ $PREFIX == -* ]]; then\n"
"\t\tcompadd -a f\n"
"\t\treturn\n"
"\telif (( n < ${#p} )); then\n"
"\t\tkind=${p[n+1]}\n"
"\telif (( ${#p} )) && [[ ${p[-1]} == *+ ]]; then\n"
"\t\tkind=${p[-1]}\n"
"\tfi\n"
"\t[[ -n $kind ]] && _tock_kind ${kind%+}\n"
"}\n"
"\n"
"# Autoloaded from $fpath, or sourced.\n"
"if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
"\t_tock \"$@\"\n"
"else\n"
"\tcompdef _tock tock\n"
"fi\n";

static void
emit_zsh(const struct comp_cmd *cmds, int n)
{
	char buf[512];
	int i, j;

	printf("#compdef tock\n"
	    "# zsh completion for tock, made by 'tock completion zsh' "
	    "(tock %s)\n# from its command table.  Load it with\n"
	    "#\tsource <(tock completion zsh)\n"
	    "# in ~/.zshrc after compinit, or save it as _tock in a "
	    "directory of $fpath.\n\n", TOCK_VERSION);
	printf("_tock_globals=(--db --json -v --verbose --version --help)\n"
	    "_tock_commands=(\n");
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%s:%s", cmds[i].ce->name,
		    cmds[i].ce->desc);
		putchar('\t');
		sh_quote(buf);
		putchar('\n');
	}
	printf(")\n\n"
	    "# _tock_spec CMD: f = its options, a = the kind of value of each\n"
	    "# option that takes one, p = the kinds of its arguments\n"
	    "# (\"+\": repeats).\n"
	    "_tock_spec() {\n\tcase $1 in\n");
	for (i = 0; i < n; i++) {
		const struct comp_cmd *c = &cmds[i];

		printf("\t(%s)\n\t\tf=(", c->ce->name);
		for (j = 0; j < c->nflags; j++)
			printf("%s%s", j ? " " : "", c->flags[j].name);
		printf(")\n\t\ta=(");
		for (j = 0; j < c->nflags; j++)
			if (c->flags[j].kind[0] != '\0')
				printf(" %s %s", c->flags[j].name,
				    c->flags[j].kind);
		printf(" )\n\t\tp=(");
		print_pos(c);
		printf(") ;;\n");
	}
	printf("\t(*) return 1 ;;\n\tesac\n}\n\n%s", zsh_driver);
}

static const char fish_driver[] =
"# __tock_at CMD [N]: the command line is past CMD, and (with N) at its\n"
"# argument N (from 0; \"N+\": N or later) rather than an option's value.\n"
"function __tock_at\n"
"\tset -l words (commandline -opc)\n"
"\tset -e words[1]\n"
"\tset -l cmd\n"
"\tset -l n 0\n"
"\tset -l skip 0\n"
"\tfor w in $words\n"
"\t\tif test $skip = 1\n"
"\t\t\tset skip 0\n"
"\t\t\tcontinue\n"
"\t\tend\n"
"\t\tif test -z \"$cmd\"\n"
"\t\t\tswitch $w\n"
"\t\t\t\tcase --db\n"
"\t\t\t\t\tset skip 1\n"
"\t\t\t\tcase '-*'\n"
"\t\t\t\tcase '*'\n"
"\t\t\t\t\tset cmd $w\n"
"\t\t\tend\n"
"\t\t\tcontinue\n"
"\t\tend\n"
"\t\tswitch $w\n"
"\t\t\tcase '-*'\n"
"\t\t\t\tif contains -- $w (__tock_valued $cmd)\n"
"\t\t\t\t\tset skip 1\n"
"\t\t\t\tend\n"
"\t\t\tcase '*'\n"
"\t\t\t\tset n (math $n + 1)\n"
"\t\tend\n"
"\tend\n"
"\ttest \"$cmd\" = \"$argv[1]\"; or return 1\n"
"\tset -q argv[2]; or return 0\n"
"\ttest $skip = 0; or return 1\n"
"\tif string match -q -- '*+' $argv[2]\n"
"\t\ttest $n -ge (string trim -r -c + -- $argv[2])\n"
"\telse\n"
"\t\ttest $n -eq $argv[2]\n"
"\tend\n"
"end\n"
"\n"
"function __tock_nocmd\n"
"\tset -l words (commandline -opc)\n"
"\tset -e words[1]\n"
"\tset -l skip 0\n"
"\tfor w in $words\n"
"\t\tif test $skip = 1\n"
"\t\t\tset skip 0\n"
"\t\t\tcontinue\n"
"\t\tend\n"
"\t\tswitch $w\n"
"\t\t\tcase --db\n"
"\t\t\t\tset skip 1\n"
"\t\t\tcase '-*'\n"
"\t\t\tcase '*'\n"
"\t\t\t\treturn 1\n"
"\t\tend\n"
"\tend\n"
"\treturn 0\n"
"end\n"
"\n"
"# Open tasks as NUM<TAB>TITLE: fish shows the title as the description.\n"
"function __tock_tasks\n"
"\tset -l words (commandline -opc)\n"
"\t$words[1] completion --tasks 2>/dev/null\n"
"end\n"
"\n"
"function __tock_branches\n"
"\tgit for-each-ref --format='%(refname:short)' refs/heads 2>/dev/null\n"
"end\n"
"\n"
"complete -c tock -f\n"
"complete -c tock -n __tock_nocmd -l db -r -F -d 'Database file'\n"
"complete -c tock -n __tock_nocmd -l json -d 'JSON output'\n"
"complete -c tock -n __tock_nocmd -s v -l verbose -d 'More detail'\n"
"complete -c tock -n __tock_nocmd -l version -d 'Print the version'\n"
"complete -c tock -n __tock_nocmd -l help -d 'Show the commands'\n";

/* The fish completion arguments for a value of kind. */
static void
fish_kind(const char *kind)
{
	const char *p;

	if (strcmp(kind, "task") == 0)
		printf(" -x -a '(__tock_tasks)'");
	else if (strcmp(kind, "file") == 0)
		printf(" -r -F");
	else if (strcmp(kind, "dir") == 0)
		printf(" -x -a "
		    "'(__fish_complete_directories (commandline -ct))'");
	else if (strcmp(kind, "branch") == 0)
		printf(" -x -a '(__tock_branches)'");
	else if (strcmp(kind, "command") == 0)
		printf(" -x -a '(__tock_commands)'");
	else if (strncmp(kind, "w:", 2) == 0) {
		printf(" -x -a '");
		for (p = kind + 2; *p; p++)
			putchar(*p == ',' ? ' ' : *p);
		putchar('\'');
	} else
		printf(" -x");
}

static void
emit_fish(const struct comp_cmd *cmds, int n)
{
	int i, j;

	printf("# fish completion for tock, made by 'tock completion fish' "
	    "(tock %s)\n# from its command table.  Load it with\n"
	    "#\ttock completion fish | source\n"
	    "# in config.fish, or save it as "
	    "~/.config/fish/completions/tock.fish.\n\n", TOCK_VERSION);
	printf("# __tock_valued CMD: the options of CMD that take a value.\n"
	    "function __tock_valued\n\tswitch $argv[1]\n");
	for (i = 0; i < n; i++) {
		const struct comp_cmd *c = &cmds[i];

		printf("\t\tcase %s\n\t\t\tprintf '%%s\\n'", c->ce->name);
		for (j = 0; j < c->nflags; j++)
			if (c->flags[j].kind[0] != '\0')
				printf(" %s", c->flags[j].name);
		printf(" ''\n");
	}
	printf("\tend\nend\n\nfunction __tock_commands\n");
	for (i = 0; i < n; i++) {
		printf("\tprintf '%%s\\t%%s\\n' %s ", cmds[i].ce->name);
		fish_quote(cmds[i].ce->desc);
		putchar('\n');
	}
	printf("end\n\n%s\n", fish_driver);
	for (i = 0; i < n; i++) {
		const struct comp_cmd *c = &cmds[i];
		const char *name = c->ce->name;

		printf("complete -c tock -n __tock_nocmd -a %s -d ", name);
		fish_quote(c->ce->desc);
		putchar('\n');
		for (j = 0; j < c->nflags; j++) {
			const struct comp_flag *fl = &c->flags[j];

			printf("complete -c tock -n '__tock_at %s' %s %s", name,
			    fl->name[1] == '-' ? "-l" : "-s",
			    fl->name + (fl->name[1] == '-' ? 2 : 1));
			if (fl->kind[0] != '\0')
				fish_kind(fl->kind);
			putchar('\n');
		}
		for (j = 0; j < c->npos; j++) {
			if (strcmp(c->pos[j], "free") == 0)
				continue;
			printf("complete -c tock -n '__tock_at %s %d%s'", name,
			    j, c->repeat && j == c->npos - 1 ? "+" : "");
			fish_kind(c->pos[j]);
			putchar('\n');
		}
	}
}

/* ---- tock completion --tasks ------------------------------------------- */

static int
print_task(int num, const char *title, void *arg)
{
	printf("%d\t%s\n", num, title);
	return 0;
}

/* Read-only and silent: a first TAB must not create a database, and
 * errors would land in the middle of the command line being typed. */
static int
list_tasks(struct tock_ctx *ctx)
{
	if (ctx->db_path == NULL && (ctx->db_path = ctx->db_path_owned =
	    paths_db(NULL)) == NULL)
		return EXIT_OK;
	if (db_open(&ctx->db, ctx->db_path, DB_OPEN_READONLY, NULL) != 0)
		return EXIT_OK;
	db_task_titles(ctx->db, print_task, NULL, NULL);
	return EXIT_OK;
}

int
cmd_completion(int argc, char **argv, struct tock_ctx *ctx)
{
	struct comp_cmd *cmds;
	const struct cmd_entry *ce;
	bool tasks = false;
	const char *shell;
	int c, n = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tasks = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (tasks)
		return list_tasks(ctx);
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE, "name a shell");
	shell = argv[optind];
	if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0 &&
	    strcmp(shell, "fish") != 0) {
		out_error("no completion for shell '%s' (bash, zsh, fish)",
		    shell);
		return EXIT_USAGE;
	}
	for (ce = cmd_table; ce->name != NULL; ce++)
		n++;
	cmds = calloc((size_t)n, sizeof *cmds);
	if (cmds == NULL)
		return out_error("out of memory");
	for (c = 0; c < n; c++)
		parse_usage(&cmds[c], &cmd_table[c]);
	if (strcmp(shell, "bash") == 0)
		emit_bash(cmds, n);
	else if (strcmp(shell, "zsh") == 0)
		emit_zsh(cmds, n);
	else
		emit_fish(cmds, n);
	free(cmds);
	return EXIT_OK;
}
