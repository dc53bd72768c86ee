/* SPDX-License-Identifier: ISC */
/*
 * jwt.c - base64url and HS256 JSON Web Tokens (see jwt.h).  HMAC-SHA256
 * comes from OpenSSL; the JSON of the header and payload is read through
 * reqjson, like any other untrusted input.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "jwt.h"
#include "reqjson.h"
#include "strbuf.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_encode(char *out, size_t outsize, const void *in, size_t n)
{
	const unsigned char *p = in;
	size_t need = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0), o = 0, i;
	uint32_t v;

	if (outsize < need + 1)
		return 0;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(unsigned char *out, size_t outsize, size_t *outlen,
    const char *in, size_t len)
{
	size_t o = 0, i, rem = len % 4;
	uint32_t v = 0;
	int bits = 0, d;

	if (rem == 1)
		return TOCK_EINVAL;
	if ((len / 4) * 3 + (rem ? rem - 1 : 0) > outsize)
		return TOCK_ETOOBIG;
	for (i = 0; i < len; i++) {
		if ((d = b64url_value(in[i])) < 0)
			return TOCK_EINVAL;
		v = v << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero: one spelling per byte string. */
	if (v != 0)
		return TOCK_EINVAL;
	*outlen = o;
	return 0;
}

static void
add_b64(struct strbuf *sb, const void *data, size_t n)
{
	char buf[1024];
	size_t w = b64url_encode(buf, sizeof buf, data, n);

	if (w == 0 && n != 0)
		TOCK_BUG("jwt segment too long");
	strbuf_add(sb, buf, w);
}

void
jwt_sign(struct strbuf *out, const unsigned char *key, size_t keylen,
    const char *sub, int64_t iat, int64_t exp, const char *jti)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct strbuf payload = STRBUF_INIT;
	size_t start = out->len;

	strbuf_addstr(&payload, "{\"sub\":");
	strbuf_add_json_str(&payload, sub);
	strbuf_addf(&payload, ",\"iat\":%lld,\"exp\":%lld,\"jti\":",
	    (long long)iat, (long long)exp);
	strbuf_add_json_str(&payload, jti);
	strbuf_addch(&payload, '}');

	add_b64(out, header, sizeof header - 1);
	strbuf_addch(out, '.');
	add_b64(out, payload.buf, payload.len);
	if (HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)out->buf + start, out->len - start, mac,
	    &maclen) == NULL)
		TOCK_BUG("HMAC-SHA256 failed");
	strbuf_addch(out, '.');
	add_b64(out, mac, maclen);
	strbuf_release(&payload);
}

/* Decode and parse one segment as a JSON object. */
static int
segment_json(struct rjson **out, const char *seg, size_t len,
    const char *what, struct tock_err *err)
{
	unsigned char buf[2048];
	size_t n;
	struct rjson *rj = NULL;

	if (b64url_decode(buf, sizeof buf, &n, seg, len) != 0)
		return tock_err_set(err, TOCK_EINVAL, "bad %s encoding", what);
	if (rjson_parse(&rj, (const char *)buf, n, 4, NULL) != 0 ||
	    !rjson_is_object(rj)) {
		rjson_free(rj);
		return tock_err_set(err, TOCK_EINVAL, "bad %s", what);
	}
	*out = rj;
	return 0;
}

int
jwt_verify(struct jwt_claims *out, const char *token, size_t len,
    const unsigned char *key, size_t keylen, int64_t now,
    struct tock_err *err)
{
	const char *dot1, *dot2, *s;
	unsigned char sig[64], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct rjson *hdr = NULL, *pl = NULL;
	struct jwt_claims c;
	size_t siglen;
	int rc = TOCK_EINVAL;

	memset(&c, 0, sizeof c);
	if (len == 0 || len > JWT_MAX_LEN)
		return tock_err_set(err, TOCK_EINVAL, "bad token length");
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
	    NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return tock_err_set(err, TOCK_EINVAL, "token is not a JWT");

	/* The header first: anything but HS256 ("none" above all) is out
	 * before the signature is even decoded. */
	if (segment_json(&hdr, token, (size_t)(dot1 - token), "token header",
	    err) != 0)
		return TOCK_EINVAL;
	if (rjson_get_str(hdr, "alg", &s, NULL) != RJ_VALUE ||
	    strcmp(s, "HS256") != 0) {
		tock_err_set(err, TOCK_EINVAL, "token algorithm is not HS256");
		goto out;
	}
	if (rjson_get_str(hdr, "typ", &s, NULL) == RJ_VALUE &&
	    strcmp(s, "JWT") != 0) {
		tock_err_set(err, TOCK_EINVAL, "token type is not JWT");
		goto out;
	}
	if (rjson_get_str(hdr, "crit", &s, NULL) != RJ_ABSENT) {
		tock_err_set(err, TOCK_EINVAL, "token has critical headers");
		goto out;
	}

	if (b64url_decode(sig, sizeof sig, &siglen, dot2 + 1,
	    len - (size_t)(dot2 + 1 - token)) != 0 || siglen != 32) {
		tock_err_set(err, TOCK_EINVAL, "bad token signature");
		goto out;
	}
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)token,
	    (size_t)(dot2 - token), mac, &maclen) == NULL || maclen != 32 ||
	    CRYPTO_memcmp(mac, sig, 32) != 0) {
		tock_err_set(err, TOCK_EINVAL, "bad token signature");
		goto out;
	}

	if (segment_json(&pl, dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    "token payload", err) != 0)
		goto out;
	if (rjson_get_str(pl, "sub", &s, NULL) != RJ_VALUE ||
	    strlen(s) >= sizeof c.sub) {
		tock_err_set(err, TOCK_EINVAL, "token has no subject");
		goto out;
	}
	strcpy(c.sub, s);
	if (rjson_get_str(pl, "jti", &s, NULL) == RJ_VALUE &&
	    strlen(s) < sizeof c.jti)
		strcpy(c.jti, s);
	if (rjson_get_int(pl, "exp", &c.exp, NULL) != RJ_VALUE ||
	    rjson_get_int(pl, "iat", &c.iat, NULL) != RJ_VALUE) {
		tock_err_set(err, TOCK_EINVAL, "token has no exp or iat");
		goto out;
	}
	if (now >= c.exp) {
		rc = tock_err_set(err, TOCK_ENOTFOUND, "token expired");
		goto out;
	}
	/* Issued in the future: another server's clock is off by more than
	 * a minute, or the token is forged with a known key. */
	if (c.iat > now + 60) {
		tock_err_set(err, TOCK_EINVAL, "token issued in the future");
		goto out;
	}
	*out = c;
	rc = 0;
out:
	rjson_free(hdr);
	rjson_free(pl);
	return rc;
}
