/* SPDX-License-Identifier: ISC */
/*
 * migrate.h - the PostgreSQL schema: versioned migrations, and the check
 * `serve` makes before it answers anything.
 *
 * Each migration runs in its own transaction, under a transaction-level
 * advisory lock, and is recorded in schema_migrations; so `migrate` is
 * idempotent and two of them started at once take turns.  It runs as the
 * database owner; `serve` runs as a role that is a member of tock_app and
 * may not bypass row-level security (tock-server(8) explains the set-up).
 */
#ifndef TOCK_MIGRATE_H
#define TOCK_MIGRATE_H

struct pg;
struct tock_err;

/* The schema version this binary needs. */
int migrate_latest(void);
/* Apply every missing migration; *applied counts those run now. */
int migrate_run(struct pg *pg, int *applied, struct tock_err *err);
/* For serve: the schema is exactly at migrate_latest(), and the current
 * role is neither a superuser, nor BYPASSRLS, nor the tables' owner
 * (row-level security would not apply to it).  TOCK_EINVAL says why not. */
int migrate_check_serve(struct pg *pg, struct tock_err *err);

#endif
