/* uuid.c - UUIDv7 generation and validation (see uuid.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "uuid.h"

void
uuid_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			TOCK_BUG("getrandom failed: %s", strerror(errno));
		}
		p += r;
		n -= (size_t)r;
	}
}

void
uuid_v7(char out[UUID_STRLEN + 1], int64_t now_ms)
{
	/* Process-wide monotonic state: last timestamp and 12-bit counter. */
	static uint64_t last_ms;
	static uint16_t counter;
	unsigned char b[16];
	uint64_t ms = now_ms < 0 ? 0 : (uint64_t)now_ms;

	uuid_random(b, sizeof b);
	if (ms > last_ms) {
		last_ms = ms;
		/* Start low in the range so many ids fit in one millisecond. */
		counter = (uint16_t)(((b[6] << 8) | b[7]) & 0x01ff);
	} else if (++counter > 0x0fff) {
		/* Counter exhausted: borrow the next millisecond. */
		last_ms++;
		counter = 0;
	}
	ms = last_ms;
	b[0] = (unsigned char)(ms >> 40);
	b[1] = (unsigned char)(ms >> 32);
	b[2] = (unsigned char)(ms >> 24);
	b[3] = (unsigned char)(ms >> 16);
	b[4] = (unsigned char)(ms >> 8);
	b[5] = (unsigned char)ms;
	b[6] = (unsigned char)(0x70 | ((counter >> 8) & 0x0f));
	b[7] = (unsigned char)(counter & 0xff);
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, UUID_STRLEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	    b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool
uuid_valid(const char *s)
{
	int i;

	if (s == NULL)
		return false;
	for (i = 0; i < UUID_STRLEN; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[UUID_STRLEN] == '\0';
}

int64_t
uuid_v7_time(const char *s)
{
	int64_t ms = 0;
	int i;

	if (!uuid_valid(s) || s[14] != '7')
		return -1;
	for (i = 0; i < 13; i++) {
		char c = s[i];

		if (c == '-')
			continue;
		ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return ms;
}
