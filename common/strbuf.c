/* strbuf.c - growable, optionally bounded strings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "strbuf.h"
#include "xmalloc.h"

char strbuf_slopbuf[1];

void
strbuf_init(struct strbuf *sb, size_t max)
{
	sb->buf = strbuf_slopbuf;
	sb->len = 0;
	sb->alloc = 0;
	sb->max = max;
}

void
strbuf_release(struct strbuf *sb)
{
	size_t max = sb->max;

	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, max);
}

void
strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void
strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		TOCK_BUG("strbuf_setlen beyond length");
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (len != NULL)
		*len = sb->len;
	p = sb->alloc ? sb->buf : xstrdup("");
	strbuf_init(sb, sb->max);
	return p;
}

/* Make room for extra more bytes plus the NUL. */
static int
grow(struct strbuf *sb, size_t extra)
{
	size_t need;

	if (extra > ((size_t)-1) / 2 - sb->len)
		return TOCK_ETOOBIG;
	need = sb->len + extra + 1;
	if (sb->max && sb->len + extra > sb->max)
		return TOCK_ETOOBIG;
	if (need <= sb->alloc)
		return 0;
	if (sb->alloc == 0) {
		sb->buf = NULL;
	}
	sb->alloc = need < 64 ? 64 : need + need / 2;
	sb->buf = xrealloc(sb->buf, sb->alloc);
	if (sb->len == 0)
		sb->buf[0] = '\0';
	return 0;
}

int
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (grow(sb, len) != 0)
		return TOCK_ETOOBIG;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	return strbuf_add(sb, &ch, 1);
}

int
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TOCK_ERR;
	if (grow(sb, (size_t)n) != 0)
		return TOCK_ETOOBIG;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

int
strbuf_add_json_str(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	size_t start = sb->len;
	int rc = strbuf_addch(sb, '"');

	while (rc == 0 && *p) {
		/* Copy runs of bytes that need no escape in one go: JSON text
		 * is mostly such runs, and export encodes millions of them. */
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		if (p > run)
			rc = strbuf_add(sb, run, (size_t)(p - run));
		if (rc != 0 || *p == '\0')
			break;
		switch (*p) {
		case '"': rc = strbuf_add(sb, "\\\"", 2); break;
		case '\\': rc = strbuf_add(sb, "\\\\", 2); break;
		case '\n': rc = strbuf_add(sb, "\\n", 2); break;
		case '\r': rc = strbuf_add(sb, "\\r", 2); break;
		case '\t': rc = strbuf_add(sb, "\\t", 2); break;
		default: rc = strbuf_addf(sb, "\\u%04x", *p);
		}
		p++;
	}
	if (rc == 0)
		rc = strbuf_addch(sb, '"');
	if (rc != 0 && sb->len > start)
		strbuf_setlen(sb, start);
	return rc;
}
