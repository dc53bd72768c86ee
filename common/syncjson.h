/*
 * syncjson.h - decoding the sync wire answers (syncd/PROTOCOL.md) into
 * plain structs for the apply code in db_sync.c, which must not see cJSON.
 *
 * Ownership: everything a struct sj_msg points to (strings, arrays) lives
 * in the message and is freed by sj_msg_free; nothing is copied out.
 * Values keep their JSON type so the apply code can bind them to SQLite
 * without parsing again: objects, arrays and non-integral numbers come as
 * compact JSON text (SJ_RAW).
 */
#ifndef TOCK_SYNCJSON_H
#define TOCK_SYNCJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tock_err;

enum sj_vtype { SJ_NULL, SJ_BOOL, SJ_INT, SJ_TEXT, SJ_RAW };

struct sj_field {
	const char *name;
	enum sj_vtype type;
	int64_t num;		/* SJ_BOOL (0/1), SJ_INT */
	const char *text;	/* SJ_TEXT: the string; SJ_RAW: JSON text */
	const char *hlc;	/* fhlc[name], NULL when absent */
};

/* A pulled change, a snapshot row, or a rejected op's "current". */
struct sj_row {
	int64_t seq;		/* 0 in snapshots and current */
	const char *e;
	const char *eid;
	const char *kind;	/* NULL in snapshots */
	int nf;
	struct sj_field *f;
};

struct sj_scope {
	const char *id;
	const char *reset;	/* reset.reason, or NULL */
	int nrows;
	struct sj_row *rows;
	int64_t next_cursor;
	int64_t head;
	int64_t from;		/* WebSocket delta: from, to */
	bool has_more;
};

/* available[] of a pull, heads of a push/welcome, a poke's scope/head. */
struct sj_head {
	const char *id;
	const char *name;	/* NULL when absent */
	int64_t head;
};

struct sj_conflict {
	const char *field;
	const char *loser;	/* JSON text of the losing value */
	const char *loser_hlc;
	const char *winner_hlc;
};

struct sj_result {
	int64_t seq;
	const char *id;
	const char *status;	/* a duplicate's original status when
				 * the original is given */
	const char *code;
	const char *message;
	bool has_current;
	struct sj_row current;
	int nconf;
	struct sj_conflict *conf;
};

enum sj_kind { SJ_PUSH, SJ_PULL, SJ_SNAPSHOT, SJ_WS };

struct sj_msg {
	int64_t server_time;	/* 0 when absent */
	/* pull: the scopes; snapshot and WebSocket delta: one */
	int nscopes;
	struct sj_scope *scopes;
	/* pull: available; push, welcome: heads; poke: one */
	int nheads;
	struct sj_head *heads;
	/* push */
	int nresults;
	struct sj_result *results;
	/* snapshot */
	int64_t snapshot_seq;
	const char *token;
	bool done;
	/* WebSocket: welcome, poke, delta, revoked, error, ... */
	const char *t;
	void *priv;
};

/* Decode an answer of the given kind; TOCK_EPROTO naming what is wrong. */
int sj_parse(struct sj_msg *m, enum sj_kind kind, const char *json,
    size_t len, struct tock_err *err);
void sj_msg_free(struct sj_msg *m);

/* The message of an error body {"error":{"code","message"}} into buf
 * ("" when there is none). */
void sj_error_message(const char *json, size_t len, char *buf, size_t n);

#endif
