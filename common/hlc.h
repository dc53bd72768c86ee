/*
 * hlc.h - hybrid logical clock (SYNC.md 3.2).
 *
 * Wire form "%016x-%016x": (ms48 << 16 | counter16), then the 64-bit node
 * id.  The fixed width makes string comparison the total order (time,
 * counter, node), so SQLite, PostgreSQL and memcmp all agree.
 *
 * These functions are pure; db.c reads and writes hlc_state inside the
 * write transaction that uses the stamp, so two processes can never issue
 * the same HLC.
 */
#ifndef TOCK_HLC_H
#define TOCK_HLC_H

#include <stdint.h>

#define HLC_STRLEN 33
#define HLC_MAX_COUNTER 0xffff

struct tock_err;

struct hlc {
	uint64_t l;	/* 48-bit milliseconds */
	uint32_t c;	/* 16-bit counter */
	uint64_t node;
};

/* Advance state for a local event at physical time pt_ms and return the
 * new stamp in state.  When the counter would pass 0xffff the logical time
 * moves on by one millisecond instead: sleeping would not help when l is
 * ahead of the wall clock after a recv(). */
void hlc_send(struct hlc *state, int64_t pt_ms);
/* Merge a received stamp m (Kulkarni's rule) at physical time pt_ms. */
void hlc_recv(struct hlc *state, const struct hlc *m, int64_t pt_ms);

void hlc_format(char out[HLC_STRLEN + 1], const struct hlc *h);
int hlc_parse(struct hlc *out, const char *s, struct tock_err *err);
/* <0, 0, >0 like strcmp, on (l, c, node). */
int hlc_cmp(const struct hlc *a, const struct hlc *b);

#endif
