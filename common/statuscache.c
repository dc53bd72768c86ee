/* statuscache.c - the status cache file (see statuscache.h). */
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "statuscache.h"
#include "strbuf.h"
#include "xmalloc.h"

#define WAL_HDR 48		/* one copy of the WAL-index header */
#define RACY_MS 20		/* above any filesystem timestamp granularity */
#define CACHE_MAX 4096

static char *
side_path(const char *dbpath, const char *suffix)
{
	return xasprintf("%s%s", dbpath, suffix);
}

int
statuscache_open_shm(const char *dbpath)
{
	char *shm = side_path(dbpath, "-shm");
	int fd = open(shm, O_RDONLY | O_CLOEXEC);

	free(shm);
	return fd;
}

int
statuscache_tag(char tag[STATUSCACHE_TAGLEN], int shm_fd, const char *dbpath,
    int64_t now_ms)
{
	unsigned char hdr[2 * WAL_HDR];
	struct stat st;
	int64_t mtime_ms;
	ssize_t n;
	int fd = shm_fd, i, len;

	if (fd < 0 && (fd = statuscache_open_shm(dbpath)) < 0)
		return TOCK_ENOTFOUND;
	n = pread(fd, hdr, sizeof hdr, 0);
	if (fd != shm_fd)
		close(fd);
	/* Writers update copy 1 then copy 2: equal copies and isInit mean
	 * a complete header (SQLite's own readers check the same way). */
	if (n != (ssize_t)sizeof hdr || memcmp(hdr, hdr + WAL_HDR, WAL_HDR) != 0
	    || hdr[12] == 0)
		return TOCK_ENOTFOUND;
	if (stat(dbpath, &st) != 0)
		return TOCK_ENOTFOUND;
	mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
	    st.st_mtim.tv_nsec / 1000000;
	if (now_ms - mtime_ms < RACY_MS)
		return TOCK_ENOTFOUND;
	/* Hex by hand: this runs on every prompt and every commit. */
	for (i = 0; i < WAL_HDR; i++) {
		tag[2 * i] = "0123456789abcdef"[hdr[i] >> 4];
		tag[2 * i + 1] = "0123456789abcdef"[hdr[i] & 15];
	}
	len = 2 * WAL_HDR;
	snprintf(tag + len, STATUSCACHE_TAGLEN - len, "-%lld-%lld.%09ld",
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec);
	return 0;
}

/* Next line of the cache text, or NULL. */
static char *
next_line(char **p)
{
	char *s = *p, *nl;

	if (s == NULL || (nl = strchr(s, '\n')) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return s;
}

int
statuscache_read(struct entry **out, const char *dbpath, int64_t now_ms)
{
	char buf[CACHE_MAX + 1], tag[STATUSCACHE_TAGLEN], *p = buf, *line;
	char *path = side_path(dbpath, "-status");
	struct entry *e;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return TOCK_ENOTFOUND;
	n = read(fd, buf, CACHE_MAX);
	close(fd);
	if (n <= 0 || n == CACHE_MAX)
		return TOCK_ENOTFOUND;
	buf[n] = '\0';
	if ((line = next_line(&p)) == NULL || strcmp(line, "tock-status 1") != 0
	    || (line = next_line(&p)) == NULL ||
	    statuscache_tag(tag, -1, dbpath, now_ms) != 0 ||
	    strcmp(line, tag) != 0)
		return TOCK_ENOTFOUND;
	if ((line = next_line(&p)) == NULL)
		return TOCK_ENOTFOUND;
	if (strcmp(line, "none") == 0) {
		*out = NULL;
		return 0;
	}
	/* running START NUM TASK_ID ENTRY_ID, then title and notes lines
	 * (titles hold no control characters; notes are escaped). */
	e = xcalloc(1, sizeof *e);
	e->end_time = -1;
	if (sscanf(line, "running %lld %d %36s %36s", (long long *)&e->start_time,
	    &e->task_num, e->task_id, e->id) != 4 ||
	    (line = next_line(&p)) == NULL) {
		entry_free(e);
		return TOCK_ENOTFOUND;
	}
	if (strcmp(e->task_id, "-") == 0)
		e->task_id[0] = '\0';
	e->task_title = xstrdup(line);
	if ((line = next_line(&p)) == NULL) {
		entry_free(e);
		return TOCK_ENOTFOUND;
	}
	e->notes = xstrdup(line);
	*out = e;
	return 0;
}

/* One line of text: a newline in it would end the record, and a prompt
 * shows it as a blank anyway. */
static void
add_line(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s; s++)
		strbuf_addch(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
	strbuf_addch(sb, '\n');
}

int
statuscache_write(const char *dbpath, const char *tag, const struct entry *e)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = side_path(dbpath, "-status");
	char *tmp = xasprintf("%s.%ld", path, (long)getpid());
	int fd, rc = 0;
	bool ok;

	strbuf_addf(&sb, "tock-status 1\n%s\n", tag);
	if (e == NULL)
		strbuf_addstr(&sb, "none\n");
	else {
		strbuf_addf(&sb, "running %lld %d %s %s\n",
		    (long long)e->start_time, e->task_num,
		    e->task_id[0] ? e->task_id : "-", e->id);
		add_line(&sb, e->task_title);
		add_line(&sb, e->notes);
	}
	if (sb.len >= CACHE_MAX) {
		/* Too long to cache: remove, so readers use SQLite. */
		unlink(path);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = TOCK_EIO;
		goto out;
	}
	ok = write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		rc = TOCK_EIO;
	}
out:
	strbuf_release(&sb);
	free(path);
	free(tmp);
	return rc;
}
