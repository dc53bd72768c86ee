/*
 * text.c - UTF-8 validation and terminal column widths.
 *
 * Widths come from compact built-in tables instead of wcwidth(3): the
 * answer must not depend on setlocale or on the libc's Unicode version,
 * so that columns line up the same in the CLI, the TUI and the tests.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "strbuf.h"
#include "text.h"

struct range {
	uint32_t	lo;
	uint32_t	hi;
};

/* Combining marks and invisible format characters: no column. */
static const struct range zero_width[] = {
	{ 0x0300, 0x036F },	/* combining diacritical marks */
	{ 0x0483, 0x0489 },	/* Cyrillic combining */
	{ 0x0591, 0x05BD },	/* Hebrew points */
	{ 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 },
	{ 0x05C4, 0x05C5 },
	{ 0x05C7, 0x05C7 },
	{ 0x0610, 0x061A },	/* Arabic marks */
	{ 0x064B, 0x065F },
	{ 0x0670, 0x0670 },
	{ 0x06D6, 0x06DC },
	{ 0x06DF, 0x06E4 },
	{ 0x06E7, 0x06E8 },
	{ 0x06EA, 0x06ED },
	{ 0x0900, 0x0902 },	/* Devanagari signs */
	{ 0x093A, 0x093A },
	{ 0x093C, 0x093C },
	{ 0x0941, 0x0948 },
	{ 0x094D, 0x094D },
	{ 0x0951, 0x0957 },
	{ 0x0962, 0x0963 },
	{ 0x0E31, 0x0E31 },	/* Thai vowels and tone marks */
	{ 0x0E34, 0x0E3A },
	{ 0x0E47, 0x0E4E },
	{ 0x1160, 0x11FF },	/* Hangul medial vowels, final consonants */
	{ 0x1AB0, 0x1AFF },	/* combining diacritical marks extended */
	{ 0x1DC0, 0x1DFF },	/* combining diacritical marks supplement */
	{ 0x200B, 0x200F },	/* zero width space, ZWNJ, ZWJ, LRM, RLM */
	{ 0x202A, 0x202E },	/* bidi embeddings and overrides */
	{ 0x2060, 0x2064 },	/* word joiner, invisible operators */
	{ 0x20D0, 0x20FF },	/* combining marks for symbols */
	{ 0x3099, 0x309A },	/* combining kana voiced sound marks */
	{ 0xFE00, 0xFE0F },	/* variation selectors */
	{ 0xFE20, 0xFE2F },	/* combining half marks */
	{ 0xFEFF, 0xFEFF },	/* zero width no-break space (BOM) */
	{ 0xE0001, 0xE0001 },	/* language tag */
	{ 0xE0020, 0xE007F },	/* tag characters (flag sequences) */
	{ 0xE0100, 0xE01EF },	/* variation selectors supplement */
};

/* East Asian Wide and Fullwidth, and emoji shown as emoji by default. */
static const struct range wide[] = {
	{ 0x1100, 0x115F },	/* Hangul Jamo initial consonants */
	{ 0x231A, 0x231B },	/* watch, hourglass */
	{ 0x2329, 0x232A },	/* angle brackets */
	{ 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 },
	{ 0x23F3, 0x23F3 },
	{ 0x25FD, 0x25FE },
	{ 0x2614, 0x2615 },	/* emoji presentation in U+2600..27BF */
	{ 0x2648, 0x2653 },
	{ 0x267F, 0x267F },
	{ 0x2693, 0x2693 },
	{ 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB },
	{ 0x26BD, 0x26BE },
	{ 0x26C4, 0x26C5 },
	{ 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 },
	{ 0x26EA, 0x26EA },
	{ 0x26F2, 0x26F3 },
	{ 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA },
	{ 0x26FD, 0x26FD },
	{ 0x2705, 0x2705 },
	{ 0x270A, 0x270B },
	{ 0x2728, 0x2728 },
	{ 0x274C, 0x274C },
	{ 0x274E, 0x274E },
	{ 0x2753, 0x2755 },
	{ 0x2757, 0x2757 },
	{ 0x2795, 0x2797 },
	{ 0x27B0, 0x27B0 },
	{ 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C },
	{ 0x2B50, 0x2B50 },
	{ 0x2B55, 0x2B55 },
	{ 0x2E80, 0x303E },	/* CJK radicals .. CJK symbols, punctuation */
	{ 0x3041, 0x33FF },	/* kana, Bopomofo, compatibility Jamo, ... */
	{ 0x3400, 0x4DBF },	/* CJK extension A */
	{ 0x4E00, 0x9FFF },	/* CJK unified ideographs */
	{ 0xA000, 0xA4CF },	/* Yi */
	{ 0xA960, 0xA97F },	/* Hangul Jamo extended A */
	{ 0xAC00, 0xD7A3 },	/* Hangul syllables */
	{ 0xF900, 0xFAFF },	/* CJK compatibility ideographs */
	{ 0xFE10, 0xFE19 },	/* vertical forms */
	{ 0xFE30, 0xFE6F },	/* CJK compatibility forms, small forms */
	{ 0xFF00, 0xFF60 },	/* fullwidth forms */
	{ 0xFFE0, 0xFFE6 },
	{ 0x16FE0, 0x16FE4 },
	{ 0x17000, 0x18AFF },	/* Tangut */
	{ 0x1B000, 0x1B16F },	/* kana supplement and extensions */
	{ 0x1F004, 0x1F004 },	/* mahjong tile */
	{ 0x1F0CF, 0x1F0CF },	/* joker */
	{ 0x1F18E, 0x1F18E },
	{ 0x1F191, 0x1F19A },	/* squared CL .. VS */
	{ 0x1F200, 0x1F202 },
	{ 0x1F210, 0x1F23B },
	{ 0x1F240, 0x1F248 },
	{ 0x1F250, 0x1F251 },
	{ 0x1F260, 0x1F265 },
	{ 0x1F300, 0x1F64F },	/* pictographs, emoticons */
	{ 0x1F680, 0x1F6FF },	/* transport and map symbols */
	{ 0x1F7E0, 0x1F7EB },	/* coloured circles and squares */
	{ 0x1F900, 0x1F9FF },	/* supplemental symbols and pictographs */
	{ 0x1FA70, 0x1FAFF },	/* symbols and pictographs extended A */
	{ 0x20000, 0x2FFFD },	/* CJK extensions B.. */
	{ 0x30000, 0x3FFFD },
};

static bool
in_table(uint32_t cp, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n, mid;

	if (cp < t[0].lo || cp > t[n - 1].hi)
		return false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp > t[mid].hi)
			lo = mid + 1;
		else if (cp < t[mid].lo)
			hi = mid;
		else
			return true;
	}
	return false;
}

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

static int
cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0;
	if (cp < 0x300)
		return 1;
	if (in_table(cp, zero_width, NITEMS(zero_width)))
		return 0;
	if (in_table(cp, wide, NITEMS(wide)))
		return 2;
	return 1;
}

/*
 * Decode one code point from p[0..avail): its length in bytes, or 0 when
 * the bytes there are not well-formed UTF-8.  The second byte's range
 * depends on the lead byte: that is what rules out overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and values above U+10FFFF (F4 90..).
 */
static size_t
utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;
	uint32_t v;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		v = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		v = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else
		return 0;	/* continuation byte, C0, C1 or F5..FF */

	if (avail < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	*cp = v;
	return n;
}

/*
 * Next code point of a NUL-terminated string.  Bytes that do not decode
 * count as one code point each (shown as one column) so callers never
 * loop forever on bad input.
 */
static size_t
next_cp(const char *s, uint32_t *cp)
{
	size_t n, avail = 0;

	/* Only look as far as the sequence could reach, not to the NUL. */
	while (avail < 4 && s[avail] != '\0')
		avail++;
	n = utf8_decode((const unsigned char *)s, avail, cp);
	if (n == 0) {
		*cp = 0xFFFD;
		n = 1;
	}
	return n;
}

bool
text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		/* NUL is well-formed UTF-8 but would cut C strings short. */
		if (p[i] == '\0')
			return false;
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t
text_utf8_len(const char *s)
{
	size_t count = 0;
	uint32_t cp;

	while (*s != '\0') {
		s += next_cp(s, &cp);
		count++;
	}
	return count;
}

int
text_width(const char *s)
{
	uint32_t cp;
	long w = 0;

	while (*s != '\0') {
		s += next_cp(s, &cp);
		w += cp_width(cp);
		if (w >= INT_MAX)
			return INT_MAX;
	}
	return (int)w;
}

/* U+2026 HORIZONTAL ELLIPSIS, one column. */
#define ELLIPSIS	"\xe2\x80\xa6"

static int
add_spaces(struct strbuf *sb, int n)
{
	static const char spaces[] = "                                ";
	int chunk, r;

	while (n > 0) {
		chunk = n < (int)sizeof spaces - 1 ? n : (int)sizeof spaces - 1;
		if ((r = strbuf_add(sb, spaces, (size_t)chunk)) != 0)
			return r;
		n -= chunk;
	}
	return 0;
}

int
text_add_fit(struct strbuf *sb, const char *s, int cols, bool pad)
{
	size_t oldlen = sb->len, n, keep = 0;
	const char *p;
	uint32_t cp;
	int used, w, r;

	if (cols <= 0)
		return 0;

	used = text_width(s);
	if (used <= cols) {
		keep = strlen(s);
	} else {
		used = 0;
		/*
		 * Keep whole code points while they fit in cols - 1, leaving
		 * the last column to the ellipsis.  Zero-width marks after a
		 * kept character stay with it; a wide character that would
		 * straddle the edge goes, and padding fills its column.
		 */
		for (p = s; *p != '\0'; p += n) {
			n = next_cp(p, &cp);
			w = cp_width(cp);
			if (used + w > cols - 1)
				break;
			used += w;
			keep = (size_t)(p - s) + n;
		}
	}

	r = strbuf_add(sb, s, keep);
	if (r == 0 && keep < strlen(s)) {
		r = strbuf_add(sb, ELLIPSIS, sizeof ELLIPSIS - 1);
		used++;
	}
	if (r == 0 && pad)
		r = add_spaces(sb, cols - used);
	if (r != 0)
		strbuf_setlen(sb, oldlen);
	return r;
}
