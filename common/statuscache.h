/*
 * statuscache.h - the running timer, cached next to the database so that
 * `tock status` (run by every shell prompt) need not start SQLite.
 *
 * The cache file (<db>-status) holds the running entry and a tag naming
 * the committed database state it was read from: SQLite's WAL-index
 * header (from <db>-shm; its mxFrame, salts and change counter change with
 * every commit, https://www.sqlite.org/walformat.html) plus the database
 * file's size and mtime (which change on checkpoint).  A reader trusts the
 * cache only when the current tag equals the stored one, so a stale cache
 * can never be shown: whoever wrote last, and whatever crashed, a mismatch
 * sends the reader to SQLite.  Like git's racy-index rule, a tag that
 * rests on a database mtime younger than the filesystem's timestamp
 * granularity is not trusted.
 */
#ifndef TOCK_STATUSCACHE_H
#define TOCK_STATUSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct tock_err;

#define STATUSCACHE_TAGLEN 160

/*
 * The current tag of the database at dbpath; TOCK_ENOTFOUND when there is
 * none to trust (no WAL index, torn header, racy mtime).  shm_fd is an open
 * descriptor of <db>-shm, or -1 to open and close one here.
 *
 * A process with an open SQLite connection must pass its own descriptor
 * and keep it open until after sqlite3_close(): closing any descriptor of
 * a file drops every POSIX lock the process holds on it, SQLite's included,
 * and another process would then reset the WAL index under SQLite's feet.
 */
int statuscache_tag(char tag[STATUSCACHE_TAGLEN], int shm_fd,
    const char *dbpath, int64_t now_ms);
/* Open <db>-shm read-only for statuscache_tag (-1 if it does not exist). */
int statuscache_open_shm(const char *dbpath);
/* A fresh cache: 0 and *out = the running entry (NULL if none runs);
 * TOCK_ENOTFOUND when missing or stale. */
int statuscache_read(struct entry **out, const char *dbpath, int64_t now_ms);
/* Replace the cache atomically (write + rename; no fsync: it is only a
 * cache).  e is the running entry or NULL. */
int statuscache_write(const char *dbpath, const char *tag,
    const struct entry *e);

#endif
