/* SPDX-License-Identifier: ISC */
/*
 * pg.c - all of tock-server's libpq use (see pg.h).
 *
 * Why blocking libpq on worker threads, and not non-blocking libpq inside
 * the lws event loop:
 *
 * lws runs every connection on one service thread, so a blocking call in
 * a callback stalls every client (a push transaction costs a few
 * milliseconds of round trips and an fsync; bcrypt at cost 12 costs a
 * quarter of a second of CPU).  Two ways out were weighed (STYLE.md 3.10,
 * SYNC.md 3.15):
 *
 *  - adopt each pooled connection's PQsocket() into the lws loop and drive
 *    it with PQsendQueryParams/PQconsumeInput.  Every handler then becomes
 *    a state machine split across callbacks (BEGIN, lock the scope, read
 *    the row, write it, append to sync_log, COMMIT: six states for one
 *    PATCH), and the CPU-bound parts (bcrypt, JSON building) would still
 *    block the loop;
 *  - keep libpq blocking and straight-line, one connection per worker
 *    thread: the service thread parses the request, queues a job, and a
 *    worker runs the handler top to bottom with its own PGconn, then
 *    posts the result back and wakes the loop with lws_cancel_service().
 *
 * The second is what the server does (pool.c).  Handlers read like the
 * SQL they run, error paths are ordinary gotos, bcrypt costs no loop time,
 * and a slow query delays only its own request.  The price is a thread
 * per connection (10 to 50 by default), which PostgreSQL's own
 * process-per-connection model dwarfs.  The one socket that will live
 * inside the loop is the LISTEN connection of SYNC.md 3.15, because
 * reading notifications never blocks.
 *
 * Rules kept here: parameterised statements only, prepared once per
 * connection (no SQL text is ever built from
 * values), PQclear on every path, libpq error text copied out at once,
 * and pg_recycle() checks PQtransactionStatus before a connection goes
 * back to the pool (ROLLBACK, or close it).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"
#include "log.h"
#include "pg.h"
#include "xmalloc.h"

#define PG_MAX_PARAMS 32
/* Statements prepared per connection: the handlers' SQL is a fixed set of
 * string literals, so a small table keyed by the text is enough. */
#define PG_MAX_PREPARED 256

struct pg_stmt {
	unsigned hash;
	char *sql;
};

/* After-commit hints queued on a connection (pg_defer_notify). */
#define PG_MAX_PENDING 16

struct pg_pending {
	char scope[40];
	int64_t head;
};

struct pg {
	PGconn *conn;
	char sqlstate[6];
	char constraint[64];
	int nstmt;
	struct pg_stmt stmt[PG_MAX_PREPARED];
	int npend;
	struct pg_pending pend[PG_MAX_PENDING];
};

/* Set once before any worker starts, read-only afterwards. */
static void (*commit_hook)(const char *scope, int64_t head);

struct pg_res {
	PGresult *res;
};

/* libpq prints notices (e.g. "relation already exists, skipping") to
 * stderr by default; route them to the debug log instead. */
static void
notice_processor(void *arg, const char *message)
{
	size_t n = strlen(message);

	if (n > 0 && message[n - 1] == '\n')
		n--;
	log_debug("postgres: %.*s", (int)n, message);
}

/* Copy a libpq message without its trailing newline. */
static int
set_pg_err(struct tock_err *err, int code, const char *what, const char *msg)
{
	size_t n = msg != NULL ? strlen(msg) : 0;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return tock_err_set(err, code, "%s: %.*s", what, (int)n,
	    msg != NULL ? msg : "");
}

int
pg_connect(struct pg **out, const char *conninfo, struct tock_err *err)
{
	struct pg *pg;
	int rc;

	if (conninfo == NULL)
		return tock_err_set(err, TOCK_EINVAL,
		    "no database URL (TOCK_DATABASE_URL)");
	pg = xcalloc(1, sizeof *pg);
	pg->conn = PQconnectdb(conninfo);
	if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
		rc = set_pg_err(err, TOCK_EIO, "cannot connect to the database",
		    pg->conn != NULL ? PQerrorMessage(pg->conn) : "no memory");
		pg_close(pg);
		return rc;
	}
	PQsetNoticeProcessor(pg->conn, notice_processor, NULL);
	/* A stuck statement or a transaction left open must not hold a
	 * worker (and its scope locks) for ever. */
	if ((rc = pg_query(pg, NULL, err,
	    "SELECT set_config('statement_timeout', '30s', false),"
	    " set_config('idle_in_transaction_session_timeout', '60s', false),"
	    " set_config('lock_timeout', '10s', false),"
	    " set_config('TimeZone', 'UTC', false),"
	    " set_config('application_name', 'tock-server', false)", 0)) != 0) {
		pg_close(pg);
		return rc;
	}
	*out = pg;
	return 0;
}

void
pg_close(struct pg *pg)
{
	if (pg == NULL)
		return;
	if (pg->conn != NULL)
		PQfinish(pg->conn);
	for (int i = 0; i < pg->nstmt; i++)
		free(pg->stmt[i].sql);
	free(pg);
}

static unsigned
sql_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * The name of sql's prepared statement on this connection ("s<index>"),
 * preparing it on first use; false when it cannot be prepared (the table
 * is full, or the connection is inside a failed transaction): the caller
 * then sends it unnamed, as PQexecParams does.  Parse and plan once per
 * connection instead of once per request.
 */
static bool
stmt_name(struct pg *pg, const char *sql, int n, char name[16])
{
	unsigned h = sql_hash(sql);
	PGresult *res;
	bool ok;
	int i;

	for (i = 0; i < pg->nstmt; i++)
		if (pg->stmt[i].hash == h && strcmp(pg->stmt[i].sql, sql) == 0) {
			snprintf(name, 16, "s%d", i);
			return true;
		}
	if (pg->nstmt == PG_MAX_PREPARED ||
	    PQtransactionStatus(pg->conn) == PQTRANS_INERROR)
		return false;
	snprintf(name, 16, "s%d", pg->nstmt);
	res = PQprepare(pg->conn, name, sql, n, NULL);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return false;
	pg->stmt[pg->nstmt].hash = h;
	pg->stmt[pg->nstmt].sql = xstrdup(sql);
	pg->nstmt++;
	return true;
}

static int
map_sqlstate(const char *s)
{
	if (strcmp(s, "23505") == 0)
		return TOCK_EEXISTS;
	if (strcmp(s, "23503") == 0 || strcmp(s, "42501") == 0)
		return TOCK_ENOTFOUND;
	if (strncmp(s, "22", 2) == 0 || strcmp(s, "23514") == 0)
		return TOCK_EINVAL;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 ||
	    strcmp(s, "55P03") == 0 || strcmp(s, "57014") == 0)
		return TOCK_EBUSY;
	return TOCK_ERR;
}

/* Note a failed result's SQLSTATE and constraint; its error code. */
static int
result_error(struct pg *pg, PGresult *res, struct tock_err *err)
{
	const char *state, *cons;
	int rc;

	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s",
	    state != NULL ? state : "");
	snprintf(pg->constraint, sizeof pg->constraint, "%s",
	    cons != NULL ? cons : "");
	if (PQstatus(pg->conn) != CONNECTION_OK)
		rc = TOCK_EIO;
	else if (state != NULL)
		rc = map_sqlstate(state);
	else
		rc = TOCK_ERR;
	set_pg_err(err, rc, "database", PQresultErrorMessage(res));
	return rc;
}

/* A transaction ended: hand its hints on if it committed, else forget
 * them. */
static void
after_tx(struct pg *pg, bool committed)
{
	int i;

	if (committed && commit_hook != NULL)
		for (i = 0; i < pg->npend; i++)
			commit_hook(pg->pend[i].scope, pg->pend[i].head);
	pg->npend = 0;
}

static bool
ends_tx(const char *sql, bool *commit)
{
	*commit = strcmp(sql, "COMMIT") == 0;
	return *commit || strcmp(sql, "ROLLBACK") == 0;
}

int
pg_exec(struct pg *pg, struct pg_res **out, const char *sql, int n,
    const char *const *params, struct tock_err *err)
{
	PGresult *res;
	ExecStatusType st;
	char name[16];
	bool commit;
	int rc;

	pg->sqlstate[0] = '\0';
	pg->constraint[0] = '\0';
	if (stmt_name(pg, sql, n, name))
		res = PQexecPrepared(pg->conn, name, n, params, NULL, NULL, 0);
	else
		res = PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL,
		    0);
	if (res == NULL)
		return set_pg_err(err, PQstatus(pg->conn) == CONNECTION_OK ?
		    TOCK_ERR : TOCK_EIO, "database", PQerrorMessage(pg->conn));
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (out != NULL) {
			*out = xmalloc(sizeof **out);
			(*out)->res = res;
		} else
			PQclear(res);
		if (pg->npend > 0 && ends_tx(sql, &commit))
			after_tx(pg, commit);
		return 0;
	}
	rc = result_error(pg, res, err);
	PQclear(res);
	/* A failed COMMIT rolled back. */
	if (pg->npend > 0 && ends_tx(sql, &commit))
		after_tx(pg, false);
	return rc;
}

int
pg_query(struct pg *pg, struct pg_res **out, struct tock_err *err,
    const char *sql, int n, ...)
{
	const char *params[PG_MAX_PARAMS];
	va_list ap;
	int i;

	if (n > PG_MAX_PARAMS)
		TOCK_BUG("too many parameters (%d)", n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		params[i] = va_arg(ap, const char *);
	va_end(ap);
	return pg_exec(pg, out, sql, n, params, err);
}

int
pg_nrows(const struct pg_res *res)
{
	return PQntuples(res->res);
}

const char *
pg_value(const struct pg_res *res, int row, int col)
{
	if (row < 0 || row >= PQntuples(res->res) || col < 0 ||
	    col >= PQnfields(res->res) || PQgetisnull(res->res, row, col))
		return NULL;
	return PQgetvalue(res->res, row, col);
}

long
pg_affected(const struct pg_res *res)
{
	const char *s = PQcmdTuples(res->res);

	return s != NULL && *s != '\0' ? strtol(s, NULL, 10) : 0;
}

void
pg_res_free(struct pg_res *res)
{
	if (res == NULL)
		return;
	PQclear(res->res);
	free(res);
}

int
pg_begin(struct pg *pg, const char *user_id, struct tock_err *err)
{
	int rc;

	if ((rc = pg_query(pg, NULL, err, "BEGIN", 0)) != 0)
		return rc;
	if (user_id != NULL && (rc = pg_query(pg, NULL, err,
	    "SELECT set_config('tock.user_id', $1, true)", 1, user_id)) != 0) {
		pg_rollback(pg);
		return rc;
	}
	return 0;
}

/*
 * BEGIN; set the user; sql; COMMIT -- sent as one libpq pipeline, so the
 * whole read-only transaction costs one round trip instead of four.  The
 * statements are the prepared ones of stmt_name() (prepared before the
 * pipeline starts, once per connection).  The first failure is the
 * answer; the statements after it are skipped by the server, and the
 * transaction left failed is rolled back here.
 */
int
pg_tx_query(struct pg *pg, const char *user_id, struct pg_res **out,
    struct tock_err *err, const char *sql, int n, const char *const *params)
{
	static const char set_user[] =
	    "SELECT set_config('tock.user_id', $1, true)";
	char nb[16], nu[16], ns[16], nc[16];
	PGresult *res, *keep = NULL;
	ExecStatusType st;
	int rc = 0, i;
	bool sent;

	pg->sqlstate[0] = '\0';
	pg->constraint[0] = '\0';
	if (PQtransactionStatus(pg->conn) != PQTRANS_IDLE ||
	    !stmt_name(pg, "BEGIN", 0, nb) ||
	    !stmt_name(pg, set_user, 1, nu) || !stmt_name(pg, sql, n, ns) ||
	    !stmt_name(pg, "COMMIT", 0, nc)) {
		/* The slow way, one statement at a time. */
		if ((rc = pg_begin(pg, user_id, err)) != 0)
			return rc;
		if ((rc = pg_exec(pg, out, sql, n, params, err)) != 0) {
			pg_rollback(pg);
			return rc;
		}
		if ((rc = pg_commit(pg, err)) != 0) {
			if (out != NULL) {
				pg_res_free(*out);
				*out = NULL;
			}
			pg_rollback(pg);
		}
		return rc;
	}
	if (PQenterPipelineMode(pg->conn) != 1)
		return set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
	sent = PQsendQueryPrepared(pg->conn, nb, 0, NULL, NULL, NULL, 0) &&
	    PQsendQueryPrepared(pg->conn, nu, 1, &user_id, NULL, NULL, 0) &&
	    PQsendQueryPrepared(pg->conn, ns, n, params, NULL, NULL, 0) &&
	    PQsendQueryPrepared(pg->conn, nc, 0, NULL, NULL, NULL, 0) &&
	    PQpipelineSync(pg->conn);
	if (!sent) {
		rc = set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
		PQexitPipelineMode(pg->conn);
		return rc;
	}
	/* Four statements, each ended by a NULL, then the sync. */
	for (i = 0; i < 5; i++) {
		while ((res = PQgetResult(pg->conn)) != NULL) {
			st = PQresultStatus(res);
			if (st == PGRES_PIPELINE_SYNC) {
				PQclear(res);
				goto synced;
			}
			if (st == PGRES_FATAL_ERROR && rc == 0)
				rc = result_error(pg, res, err);
			else if (st == PGRES_TUPLES_OK && i == 2 && keep == NULL) {
				keep = res;
				continue;
			}
			PQclear(res);
		}
		if (PQstatus(pg->conn) != CONNECTION_OK) {
			if (rc == 0)
				rc = set_pg_err(err, TOCK_EIO, "database",
				    PQerrorMessage(pg->conn));
			break;
		}
	}
synced:
	if (PQexitPipelineMode(pg->conn) != 1 && rc == 0)
		rc = set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
	if (rc == 0 && keep == NULL)
		rc = tock_err_set(err, TOCK_ERR, "database: no result");
	if (rc != 0) {
		PQclear(keep);
		pg_rollback(pg);
		return rc;
	}
	if (out != NULL) {
		*out = xmalloc(sizeof **out);
		(*out)->res = keep;
	} else
		PQclear(keep);
	after_tx(pg, true);
	return 0;
}

int
pg_commit(struct pg *pg, struct tock_err *err)
{
	return pg_query(pg, NULL, err, "COMMIT", 0);
}

void
pg_rollback(struct pg *pg)
{
	PGTransactionStatusType ts = PQtransactionStatus(pg->conn);

	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		pg_query(pg, NULL, NULL, "ROLLBACK", 0);
}

bool
pg_alive(const struct pg *pg)
{
	return pg != NULL && PQstatus(pg->conn) == CONNECTION_OK;
}

int
pg_recycle(struct pg *pg)
{
	/* Whatever a handler left queued belongs to no commit any more. */
	pg->npend = 0;
	if (PQstatus(pg->conn) != CONNECTION_OK)
		return -1;
	switch (PQtransactionStatus(pg->conn)) {
	case PQTRANS_IDLE:
		return 0;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		/* A handler returned inside a transaction: a bug, but the
		 * connection can be saved. */
		log_warnx("connection returned to the pool inside a "
		    "transaction; rolling back");
		if (pg_query(pg, NULL, NULL, "ROLLBACK", 0) != 0 ||
		    PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
			return -1;
		return 0;
	default:
		return -1;
	}
}

const char *
pg_sqlstate(const struct pg *pg)
{
	return pg->sqlstate;
}

const char *
pg_constraint(const struct pg *pg)
{
	return pg->constraint;
}

int
pg_pipeline(struct pg *pg, struct pg_call *calls, int n, int *failed,
    struct tock_err *err)
{
	char (*names)[16];
	bool *named;
	PGresult *res;
	ExecStatusType st;
	int rc = 0, i;
	bool sent = true;

	*failed = -1;
	pg->sqlstate[0] = '\0';
	pg->constraint[0] = '\0';
	names = xcalloc((size_t)n + 1, sizeof *names);
	named = xcalloc((size_t)n + 1, sizeof *named);
	/* Prepare outside the pipeline (PQprepare waits for its answer). */
	for (i = 0; i < n; i++) {
		calls[i].res = NULL;
		calls[i].rc = TOCK_ECONFLICT;
		named[i] = stmt_name(pg, calls[i].sql, calls[i].n, names[i]);
	}
	if (PQenterPipelineMode(pg->conn) != 1) {
		rc = set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
		goto out;
	}
	for (i = 0; i < n && sent; i++)
		sent = named[i] ? PQsendQueryPrepared(pg->conn, names[i],
		    calls[i].n, calls[i].params, NULL, NULL, 0) :
		    PQsendQueryParams(pg->conn, calls[i].sql, calls[i].n, NULL,
		    calls[i].params, NULL, NULL, 0);
	if (!sent || !PQpipelineSync(pg->conn)) {
		rc = set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
		PQexitPipelineMode(pg->conn);
		goto out;
	}
	/* n statements, each ended by a NULL, then the sync. */
	for (i = 0; i <= n; i++) {
		while ((res = PQgetResult(pg->conn)) != NULL) {
			st = PQresultStatus(res);
			if (st == PGRES_PIPELINE_SYNC) {
				PQclear(res);
				goto synced;
			}
			if (i == n) {
				PQclear(res);
				continue;
			}
			if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
				calls[i].rc = 0;
				if (calls[i].keep && calls[i].res == NULL) {
					calls[i].res = xmalloc(sizeof
					    *calls[i].res);
					calls[i].res->res = res;
					continue;
				}
			} else if (st == PGRES_PIPELINE_ABORTED)
				calls[i].rc = TOCK_ECONFLICT;
			else {
				calls[i].rc = result_error(pg, res,
				    rc == 0 ? err : NULL);
				if (rc == 0) {
					rc = calls[i].rc;
					*failed = i;
				}
			}
			PQclear(res);
		}
		if (PQstatus(pg->conn) != CONNECTION_OK) {
			rc = set_pg_err(err, TOCK_EIO, "database",
			    PQerrorMessage(pg->conn));
			*failed = -1;
			break;
		}
	}
synced:
	if (PQexitPipelineMode(pg->conn) != 1 && rc == 0) {
		rc = set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
		*failed = -1;
	}
	if (rc == 0)
		for (i = 0; i < n; i++)
			if (calls[i].rc != 0) {
				rc = tock_err_set(err, TOCK_ERR,
				    "database: no result");
				*failed = -1;
				break;
			}
	if (pg->npend > 0)
		for (i = 0; i < n; i++) {
			bool commit;

			if (ends_tx(calls[i].sql, &commit))
				after_tx(pg, commit && calls[i].rc == 0);
		}
out:
	free(names);
	free(named);
	return rc;
}

void
pg_set_commit_hook(void (*fn)(const char *scope, int64_t head))
{
	commit_hook = fn;
}

void
pg_defer_notify(struct pg *pg, const char *scope, int64_t head)
{
	int i;

	for (i = 0; i < pg->npend; i++)
		if (strcmp(pg->pend[i].scope, scope) == 0) {
			if (head > pg->pend[i].head)
				pg->pend[i].head = head;
			return;
		}
	if (pg->npend == PG_MAX_PENDING) {
		/* Too many scopes in one transaction: fire what is queued
		 * early rather than lose it (a hint only; the catch-up poll
		 * covers a premature one). */
		after_tx(pg, true);
	}
	snprintf(pg->pend[pg->npend].scope, sizeof pg->pend[0].scope, "%s",
	    scope);
	pg->pend[pg->npend].head = head;
	pg->npend++;
}

int
pg_socket(const struct pg *pg)
{
	return PQsocket(pg->conn);
}

int
pg_notifies(struct pg *pg, void (*fn)(void *arg, const char *channel,
    const char *payload), void *arg, struct tock_err *err)
{
	PGnotify *nt;

	if (PQconsumeInput(pg->conn) != 1 || PQstatus(pg->conn) !=
	    CONNECTION_OK)
		return set_pg_err(err, TOCK_EIO, "database",
		    PQerrorMessage(pg->conn));
	while ((nt = PQnotifies(pg->conn)) != NULL) {
		fn(arg, nt->relname, nt->extra);
		PQfreemem(nt);
	}
	return 0;
}
