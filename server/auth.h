/* SPDX-License-Identifier: ISC */
/*
 * auth.h - credentials: bcrypt password hashes (libcrypt, "$2b$", cost
 * 12), refresh tokens (256 random bits, stored as SHA-256), and the JWT
 * signing key.
 *
 * All functions are thread-safe (crypt_rn with a per-call work area).
 */
#ifndef TOCK_AUTH_H
#define TOCK_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct tock_err;

#define AUTH_BCRYPT_COST 12
#define AUTH_HASH_MAX 128
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 72	/* bcrypt reads no further */
/* 32 random bytes in base64url: 43 characters. */
#define AUTH_TOKEN_LEN 43
/* "\x" and 64 hex digits: a bytea literal for PostgreSQL. */
#define AUTH_TOKEN_HASH_LEN 66

/* The cost of new hashes (AUTH_BCRYPT_COST unless a test suite asks for
 * less; existing hashes keep theirs).  Call once, before any thread. */
void auth_set_cost(int cost);
/* Hash password into out.  TOCK_ERR if libcrypt fails. */
int auth_hash_password(char out[AUTH_HASH_MAX], const char *password,
    struct tock_err *err);
/* Does password match hash?  With hash NULL, a dummy hash is checked so
 * that an unknown email costs the same time as a wrong password. */
bool auth_check_password(const char *password, const char *hash);

/* A new refresh token (NUL-terminated). */
void auth_new_token(char out[AUTH_TOKEN_LEN + 1]);
/* SHA-256 of a token as a bytea text literal ("\x..."). */
void auth_token_hash(char out[AUTH_TOKEN_HASH_LEN + 1], const char *token);

/* Read the JWT key (at least 32 bytes; one trailing newline dropped) from
 * file, or, with file NULL, make a random one.  *key is malloc'd. */
int auth_load_key(unsigned char **key, size_t *keylen, const char *file,
    struct tock_err *err);

#endif
