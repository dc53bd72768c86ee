/*
 * strbuf.h - growable strings (git's strbuf with curl dynbuf's maximum).
 *
 * Invariants: buf is always NUL-terminated and never NULL after
 * strbuf_init or STRBUF_INIT; len is the length without the NUL.  Members are
 * read-only to callers.  With max > 0, an add that would make len exceed max
 * returns TOCK_ETOOBIG and leaves the buffer as it was.  Allocation aborts on
 * OOM, so a buffer without a maximum never fails.
 */
#ifndef TOCK_STRBUF_H
#define TOCK_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;	/* 0 = unlimited */
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { strbuf_slopbuf, 0, 0, 0 }

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Hands the string to the caller (free() it); the buffer is re-inited. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
int strbuf_add_json_str(struct strbuf *sb, const char *s);
/* Shorten to len (len <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);

#endif
