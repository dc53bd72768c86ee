/* paths.c - XDG locations of the database, config and socket. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"
#include "xmalloc.h"

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : NULL;
}

/* $env/tock/leaf, else ~/fallback/tock/leaf.  XDG says a relative value of
 * the variable is to be ignored. */
static char *
xdg_path(const char *env, const char *fallback, const char *leaf,
    struct tock_err *err)
{
	const char *base = getenv(env);
	const char *home;

	if (base != NULL && base[0] == '/')
		return xasprintf("%s/tock/%s", base, leaf);
	if ((home = home_dir()) == NULL) {
		tock_err_set(err, TOCK_ERR,
		    "cannot find a home directory (set HOME or %s)", env);
		return NULL;
	}
	return xasprintf("%s/%s/tock/%s", home, fallback, leaf);
}

char *
paths_db(struct tock_err *err)
{
	const char *p = getenv("TOCK_DB");

	if (p != NULL && *p != '\0')
		return xstrdup(p);
	return xdg_path("XDG_DATA_HOME", ".local/share", "tock.db", err);
}

char *
paths_config(struct tock_err *err)
{
	const char *p = getenv("TOCK_CONFIG");

	if (p != NULL && *p != '\0')
		return xstrdup(p);
	return xdg_path("XDG_CONFIG_HOME", ".config", "config", err);
}

char *
paths_socket(struct tock_err *err)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (base != NULL && base[0] == '/')
		return xasprintf("%s/tock/syncd.sock", base);
	return xasprintf("/tmp/tock-%u/syncd.sock", (unsigned)getuid());
}

int
paths_mkparent(const char *path, struct tock_err *err)
{
	char *dir = xstrdup(path);
	char *p;
	int rc = 0;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			rc = tock_err_set(err, TOCK_EIO, "cannot create '%s': %s",
			    dir, strerror(errno));
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}
