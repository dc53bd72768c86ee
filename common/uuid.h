/*
 * uuid.h - UUIDv7 (RFC 9562) ids, made by the replica that creates a row so
 * offline creation needs no server.  Text form: 36 lower-case characters.
 *
 * Ids made by one process are strictly increasing: within one millisecond
 * the 12-bit rand_a field is a counter (RFC 9562 method 1), so keyset order
 * equals creation order.
 */
#ifndef TOCK_UUID_H
#define TOCK_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STRLEN 36

/* A new UUIDv7 stamped with now_ms, written to out (37 bytes). */
void uuid_v7(char out[UUID_STRLEN + 1], int64_t now_ms);
/* A well-formed UUID in canonical lower-case 8-4-4-4-12 form. */
bool uuid_valid(const char *s);
/* The millisecond timestamp of a UUIDv7, or -1 if s is not one. */
int64_t uuid_v7_time(const char *s);
/* Fill buf with n random bytes from the kernel (getrandom). */
void uuid_random(void *buf, size_t n);

#endif
