/*
 * text.h - UTF-8 validation and terminal column widths.
 *
 * Titles and notes come from users and the wire: they must be valid UTF-8
 * before they are stored, and aligned by display columns (wide CJK and
 * emoji take two) when printed.
 */
#ifndef TOCK_TEXT_H
#define TOCK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and has no NUL. */
bool text_utf8_valid(const char *s, size_t len);
/* Number of code points of a valid UTF-8 string.  Here and below, a byte
 * that does not decode counts as one code point of one column. */
size_t text_utf8_len(const char *s);
/* Display columns of a valid UTF-8 string (wcwidth rules, independent of
 * the locale: East Asian wide/fullwidth and emoji are 2, combining marks 0,
 * controls 0). */
int text_width(const char *s);
/* Append s cut to at most cols columns, adding "…" when it was cut, then
 * padded with spaces to exactly cols when pad is true.  Code points are
 * never split: a wide one that would straddle the edge is dropped, so an
 * unpadded cut may be one column short.  cols <= 0 appends nothing.
 * Returns 0, or TOCK_ETOOBIG from a bounded sb, which is then unchanged. */
int text_add_fit(struct strbuf *sb, const char *s, int cols, bool pad);

#endif
