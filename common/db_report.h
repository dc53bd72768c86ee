/*
 * db_report.h - the query side of tock report: the time entries that
 * overlap a range, with what report.h needs joined to them (task title,
 * number and metadata, user name).  Part of the db module (db.h).
 */
#ifndef TOCK_DB_REPORT_H
#define TOCK_DB_REPORT_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct report_item;
struct tock_err;

struct db_report_query {
	int64_t since;		/* entries overlapping [since, until) */
	int64_t until;
	bool all_users;		/* everyone's entries in the replica, not
				 * only the replica user's */
};

/*
 * Call cb for each live (not deleted) entry with start < until and an end
 * after since, or still running; in no particular order.  The item and its
 * strings are borrowed for the call only.  A non-zero return from cb stops
 * the walk and is returned.  Otherwise 0, or TOCK_EBUSY/TOCK_ERR with err
 * filled.
 */
typedef int db_report_cb(const struct report_item *it, void *arg);
int db_report_entries(struct db *db, const struct db_report_query *q,
    db_report_cb *cb, void *arg, struct tock_err *err);

#endif
