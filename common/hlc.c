/* hlc.c - hybrid logical clock arithmetic and wire format (see hlc.h). */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hlc.h"

#define MS_MASK 0xffffffffffffULL

static void
bump(struct hlc *h)
{
	if (h->c >= HLC_MAX_COUNTER) {
		h->l = (h->l + 1) & MS_MASK;
		h->c = 0;
	} else
		h->c++;
}

void
hlc_send(struct hlc *state, int64_t pt_ms)
{
	uint64_t pt = pt_ms < 0 ? 0 : ((uint64_t)pt_ms & MS_MASK);

	if (pt > state->l) {
		state->l = pt;
		state->c = 0;
	} else
		bump(state);
}

void
hlc_recv(struct hlc *state, const struct hlc *m, int64_t pt_ms)
{
	uint64_t pt = pt_ms < 0 ? 0 : ((uint64_t)pt_ms & MS_MASK);
	uint64_t l = state->l;

	if (m->l > l)
		l = m->l;
	if (pt > l) {
		state->l = pt;
		state->c = 0;
		return;
	}
	if (l == state->l && l == m->l) {
		state->c = state->c > m->c ? state->c : m->c;
		bump(state);
	} else if (l == state->l) {
		bump(state);
	} else {
		state->l = l;
		state->c = m->c;
		bump(state);
	}
}

void
hlc_format(char out[HLC_STRLEN + 1], const struct hlc *h)
{
	snprintf(out, HLC_STRLEN + 1, "%016llx-%016llx",
	    (unsigned long long)((h->l << 16) | (h->c & 0xffff)),
	    (unsigned long long)h->node);
}

static int
hex64(uint64_t *out, const char *s)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int
hlc_parse(struct hlc *out, const char *s, struct tock_err *err)
{
	uint64_t t, node;

	if (s == NULL || strlen(s) != HLC_STRLEN || s[16] != '-' ||
	    hex64(&t, s) != 0 || hex64(&node, s + 17) != 0)
		return tock_err_set(err, TOCK_EINVAL, "invalid clock '%s'",
		    s ? s : "(null)");
	out->l = t >> 16;
	out->c = (uint32_t)(t & 0xffff);
	out->node = node;
	return 0;
}

int
hlc_cmp(const struct hlc *a, const struct hlc *b)
{
	if (a->l != b->l)
		return a->l < b->l ? -1 : 1;
	if (a->c != b->c)
		return a->c < b->c ? -1 : 1;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	return 0;
}
