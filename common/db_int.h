/*
 * db_int.h - internals shared by the files of the db module (db.c and
 * db_<area>.c).  Only these files include <sqlite3.h>; everything else
 * goes through db.h.
 */
#ifndef TOCK_DB_INT_H
#define TOCK_DB_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct tock_err;

#define STMT_CACHE 48

struct db {
	sqlite3 *h;
	char *path;
	bool readonly;
	int shm_fd;		/* for the status cache; see statuscache.h */
	char user_id[UUID_STRLEN + 1];
	char workspace_id[UUID_STRLEN + 1];
	int64_t clock_offset;
	bool in_tx;
	struct {
		char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	int ncache;
};

/* A cached prepared statement, reset and unbound; NULL with err filled. */
sqlite3_stmt *dbi_stmt(struct db *db, const char *sql, struct tock_err *err);
/* Copy SQLite's error into err (TOCK_EBUSY, TOCK_ECONFLICT, TOCK_EIO or
 * TOCK_ERR) prefixed by what; returns the code. */
int dbi_fail(struct db *db, struct tock_err *err, const char *what);
/* Step a statement that returns no rows, and reset it. */
int dbi_step_done(struct db *db, sqlite3_stmt *st, struct tock_err *err,
    const char *what);
int dbi_exec(struct db *db, const char *sql, struct tock_err *err);
/* The first column of the first row of a parameterless query. */
int dbi_int64(struct db *db, const char *sql, int64_t *out,
    struct tock_err *err);
/* Bind s, or NULL when s is NULL or empty. */
void dbi_bind_text(sqlite3_stmt *st, int i, const char *s);
void dbi_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col);
char *dbi_dup_col(sqlite3_stmt *st, int col);
char *dbi_dup_col_or_null(sqlite3_stmt *st, int col);
/* sync_meta: k's value into out (TOCK_ENOTFOUND when unset); set k. */
int dbi_meta_get(struct db *db, const char *k, char *out, size_t n,
    struct tock_err *err);
int dbi_meta_set(struct db *db, const char *k, const char *v,
    struct tock_err *err);
/* The next HLC (hlc_state), inside the caller's write transaction. */
int dbi_hlc_next(struct db *db, char out[34], struct tock_err *err);
/* The same for a received stamp m (Kulkarni's recv), or a local event
 * when m is NULL; out may be NULL. */
struct hlc;
int dbi_hlc_advance(struct db *db, const struct hlc *m, char out[34],
    struct tock_err *err);
/* Give an open task the smallest free short number, take it from a closed
 * or deleted one (local only). */
int dbi_task_renumber(struct db *db, const char *id, struct tock_err *err);

#endif
