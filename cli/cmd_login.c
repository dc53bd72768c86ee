/*
 * cmd_login.c - tock login: log this replica in to a tock server.
 *
 *   tock login URL [--email E] [--password-stdin] [--device-name N]
 *
 * The email is asked for on the terminal when not given.  The password is
 * read from the terminal without echo, or as one line from standard input
 * with --password-stdin (scripts).  Then tock-syncd --login does the work
 * (tock links no network library); the password reaches it through a pipe,
 * never argv or the environment, where other users' ps could see it.
 * tock-syncd's output and exit status are passed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "output.h"
#include "syncd_exec.h"

#define COMMAND_NAME "login"
#define SECRET_MAX 1024

static const struct option opts[] = {
	{ "email", required_argument, NULL, 'e' },
	{ "password-stdin", no_argument, NULL, 'p' },
	{ "device-name", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The terminal's settings while echo is off, for the signal handler. */
static int tty_fd = -1;
static struct termios tty_saved;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGTSTP };
static struct sigaction tty_old[5];

static void
tty_restore(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	/* Die (or stop) the way the signal means to, echo back on. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read one line from fd into buf (no newline), at most n - 1 bytes;
 * the rest of a longer line is dropped.  -1 on EOF before any byte. */
static int
read_line(int fd, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t r;
	char ch;
	bool any = false;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		any = true;
		if (ch == '\n')
			break;
		if (len + 1 < n)
			buf[len++] = ch;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return any ? 0 : -1;
}

static int
prompt(int fd, const char *text, char *buf, size_t n, bool echo)
{
	struct termios t;
	struct sigaction sa;
	size_t i;
	int rc;

	if (write(fd, text, strlen(text)) < 0)
		return -1;
	if (echo)
		return read_line(fd, buf, n);
	if (tcgetattr(fd, &tty_saved) != 0)
		return -1;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_lflag |= ECHONL;
	tty_fd = fd;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_restore;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		sigaction(tty_signals[i], &sa, &tty_old[i]);
	tcsetattr(fd, TCSAFLUSH, &t);
	rc = read_line(fd, buf, n);
	tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_fd = -1;
	for (i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		sigaction(tty_signals[i], &tty_old[i], NULL);
	return rc;
}

static bool
url_ok(const char *url)
{
	const char *rest;

	if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else
		return false;
	return *rest != '\0' && *rest != '/' && strpbrk(url, " \t\n") == NULL;
}

int
cmd_login(int argc, char **argv, struct tock_ctx *ctx)
{
	struct tock_err err = TOCK_ERR_INIT;
	const char *email = NULL, *device = NULL, *url, *args[12];
	char ebuf[256], secret[SECRET_MAX + 2];
	bool from_stdin = false;
	int c, rc, n = 0, tty = -1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': email = optarg; break;
		case 'p': from_stdin = true; break;
		case 'n': device = optarg; break;
		case 'J': ctx->json = true; break;
		case 'h': return out_usage(COMMAND_NAME, 0, NULL);
		default: return out_usage(COMMAND_NAME, EXIT_USAGE, NULL);
		}
	}
	if (argc - optind != 1)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "give the server's URL");
	url = argv[optind];
	if (!url_ok(url))
		return out_usage(COMMAND_NAME, EXIT_USAGE, "the server URL "
		    "must start with http:// or https:// and name a host");
	if (email != NULL && strchr(email, '@') == NULL)
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "--email needs an email address");
	if ((email == NULL || !from_stdin) &&
	    (tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		return out_usage(COMMAND_NAME, EXIT_USAGE, email == NULL ?
		    "no terminal to ask on: give --email" :
		    "no terminal to read the password from: use "
		    "--password-stdin");
	}
	if (email == NULL) {
		if (prompt(tty, "Email: ", ebuf, sizeof ebuf, true) != 0 ||
		    strchr(ebuf, '@') == NULL) {
			close(tty);
			return out_usage(COMMAND_NAME, EXIT_USAGE,
			    "an email address is needed");
		}
		email = ebuf;
	}
	if (from_stdin)
		rc = read_line(STDIN_FILENO, secret, sizeof secret);
	else {
		char text[300];

		snprintf(text, sizeof text, "Password for %s: ", email);
		rc = prompt(tty, text, secret, sizeof secret, false);
	}
	if (tty >= 0)
		close(tty);
	if (rc != 0 || secret[0] == '\0') {
		out_error("no password given");
		return EXIT_USAGE;
	}
	if (strlen(secret) > SECRET_MAX) {
		memset(secret, 0, sizeof secret);
		return out_usage(COMMAND_NAME, EXIT_USAGE,
		    "the password is too long");
	}
	/* Arguments are good: now resolve (and create) the replica. */
	if ((rc = cmd_db(ctx)) != 0) {
		memset(secret, 0, sizeof secret);
		return rc;
	}
	/* tock-syncd adopts this replica: it must not wait on our handle. */
	db_close(ctx->db);
	ctx->db = NULL;
	args[n++] = "--login";
	args[n++] = url;
	args[n++] = "--email";
	args[n++] = email;
	args[n++] = "--password-stdin";
	if (device != NULL) {
		args[n++] = "--device-name";
		args[n++] = device;
	}
	args[n++] = "--db";
	args[n++] = ctx->db_path;
	args[n] = NULL;
	strcat(secret, "\n");
	rc = syncd_run(args, secret, NULL, NULL, &err);
	memset(secret, 0, sizeof secret);
	return rc < 0 ? out_fail(&err) : rc;
}
