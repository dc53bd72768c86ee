/* SPDX-License-Identifier: ISC */
/*
 * jwt.h - base64url (RFC 4648 section 5, no padding) and HS256 JSON Web
 * Tokens (RFC 7519) for the 15-minute access tokens of DESIGN.md "Auth".
 *
 * Only HS256 is accepted: a header naming any other algorithm, "none"
 * included, is refused before the signature is looked at, and the
 * signature is compared in constant time (CRYPTO_memcmp).  The decoder is
 * strict (no padding, no stray characters, zero unused bits) so a token
 * has exactly one spelling.  Pure functions: the time is a parameter.
 * Thread-safe.
 */
#ifndef TOCK_JWT_H
#define TOCK_JWT_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct tock_err;

#define JWT_MAX_LEN 4096

/* Encode n bytes; returns the number of characters written, or 0 if out
 * (NUL included) is too small. */
size_t b64url_encode(char *out, size_t outsize, const void *in, size_t n);
/* Decode len characters into out (at most outsize bytes), *outlen set.
 * TOCK_EINVAL for bad input, TOCK_ETOOBIG when out is too small. */
int b64url_decode(unsigned char *out, size_t outsize, size_t *outlen,
    const char *in, size_t len);

struct jwt_claims {
	char sub[64];
	char jti[64];
	int64_t iat;
	int64_t exp;
};

/* Append a signed token for sub, issued at iat, expiring at exp (Unix
 * seconds), with id jti. */
void jwt_sign(struct strbuf *out, const unsigned char *key, size_t keylen,
    const char *sub, int64_t iat, int64_t exp, const char *jti);
/* Verify token at time now (Unix seconds) and fill *out.  TOCK_EINVAL
 * with a reason for anything malformed, unsigned, wrongly signed or not
 * HS256; TOCK_ENOTFOUND for a well-signed token whose exp has passed (no
 * live token: the client should refresh). */
int jwt_verify(struct jwt_claims *out, const char *token, size_t len,
    const unsigned char *key, size_t keylen, int64_t now,
    struct tock_err *err);

#endif
