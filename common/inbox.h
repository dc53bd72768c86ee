/*
 * inbox.h - the user's notifications as the replica has them (tock
 * inbox), pulled from the user's private scope by sync.  Part of the db
 * module (db_inbox.c).  Local and offline; whether one was read is this
 * replica's own.
 */
#ifndef TOCK_INBOX_H
#define TOCK_INBOX_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct tock_err;

struct inbox_item {
	int64_t n;		/* local number, for tock inbox read N */
	const char *id;
	const char *kind;	/* assigned, comment, due */
	const char *payload;	/* JSON object: task_id, title, by, ... */
	int64_t created_at;
	bool read;
};
typedef int inbox_cb(const struct inbox_item *it, void *arg);

/* Newest first; unread ones only unless all. */
int db_inbox_list(struct db *db, bool all, inbox_cb *cb, void *arg,
    struct tock_err *err);
/* Mark item n (> 0) or every one (0) read.  TOCK_ENOTFOUND for an
 * unknown n.  *changed (may be NULL) counts the items marked. */
int db_inbox_read(struct db *db, int64_t n, int *changed,
    struct tock_err *err);

#endif
