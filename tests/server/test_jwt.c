/* SPDX-License-Identifier: ISC */
/*
 * test_jwt.c - unit tests of server/jwt.c: base64url against RFC 4648's
 * vectors, its strictness (padding, stray characters, non-zero spare
 * bits), and HS256 tokens: a round trip, RFC 7515's example key and
 * signature, and refusal of alg "none", other algorithms, tampering, a
 * wrong key, expiry and malformed shapes.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "jwt.h"
#include "strbuf.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof key - 1)
#define SUB "01936100-0000-7000-8000-000000000001"

static void
test_b64url_vectors(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
	};
	unsigned char dec[16];
	char enc[16];
	size_t i, n;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(b64url_encode(enc, sizeof enc, v[i].in,
		    strlen(v[i].in)), strlen(v[i].out));
		assert_string_equal(enc, v[i].out);
		assert_int_equal(b64url_decode(dec, sizeof dec, &n, v[i].out,
		    strlen(v[i].out)), 0);
		assert_int_equal(n, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, n);
	}
}

static void
test_b64url_strict(void **state)
{
	unsigned char dec[16];
	char small[4];
	size_t n;

	assert_int_equal(b64url_decode(dec, sizeof dec, &n, "Zg==", 4),
	    TOCK_EINVAL);		/* padding */
	assert_int_equal(b64url_decode(dec, sizeof dec, &n, "Zm9v+", 5),
	    TOCK_EINVAL);		/* standard alphabet */
	assert_int_equal(b64url_decode(dec, sizeof dec, &n, "Z", 1),
	    TOCK_EINVAL);		/* impossible length */
	assert_int_equal(b64url_decode(dec, sizeof dec, &n, "Zh", 2),
	    TOCK_EINVAL);		/* spare bits set: a second spelling */
	assert_int_equal(b64url_decode(dec, 2, &n, "Zm9v", 4), TOCK_ETOOBIG);
	assert_int_equal(b64url_encode(small, sizeof small, "foo", 3), 0);
}

static void
test_jwt_round_trip(void **state)
{
	struct strbuf tok = STRBUF_INIT;
	struct jwt_claims c;

	jwt_sign(&tok, key, KEYLEN, SUB, 1000, 1900, "jti-1");
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 1500,
	    NULL), 0);
	assert_string_equal(c.sub, SUB);
	assert_string_equal(c.jti, "jti-1");
	assert_int_equal(c.iat, 1000);
	assert_int_equal(c.exp, 1900);
	/* exp is exclusive. */
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 1900,
	    NULL), TOCK_ENOTFOUND);
	/* Another key. */
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len,
	    (const unsigned char *)"another key, also 32 bytes long!", 32, 1500,
	    NULL), TOCK_EINVAL);
	strbuf_release(&tok);
}

/* RFC 7515 A.1: an HS256 JWS with a published key and signature. */
static void
test_jwt_rfc7515(void **state)
{
	static const char k64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQ"
	    "Lr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	static const char header[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
	static const char payload[] = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkz"
	    "ODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
	static const char sig[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	unsigned char k[128];
	char tok[512];
	struct jwt_claims c;
	struct tock_err err = TOCK_ERR_INIT;
	size_t kl;

	assert_int_equal(b64url_decode(k, sizeof k, &kl, k64, strlen(k64)), 0);
	snprintf(tok, sizeof tok, "%s.%s.%s", header, payload, sig);
	/* The signature checks; the example has no sub, which we need. */
	assert_int_equal(jwt_verify(&c, tok, strlen(tok), k, kl, 1300819000,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "token has no subject");
	/* One bit off in the signature: refused before the payload. */
	tok[strlen(tok) - 1] = 'Y';
	assert_int_equal(jwt_verify(&c, tok, strlen(tok), k, kl, 1300819000,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "bad token signature");
}

/* A token from the given header and payload JSON, HMAC-SHA256-signed
 * with key when sign is true. */
static void
make(struct strbuf *out, const char *hdr, const char *pl, bool sign)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char h[256], p[256], s[64];

	b64url_encode(h, sizeof h, hdr, strlen(hdr));
	b64url_encode(p, sizeof p, pl, strlen(pl));
	strbuf_reset(out);
	strbuf_addf(out, "%s.%s", h, p);
	if (sign) {
		HMAC(EVP_sha256(), key, (int)KEYLEN,
		    (const unsigned char *)out->buf, out->len, mac, &maclen);
		b64url_encode(s, sizeof s, mac, maclen);
		strbuf_addf(out, ".%s", s);
	} else
		strbuf_addch(out, '.');
}

static void
test_jwt_refusals(void **state)
{
	struct strbuf tok = STRBUF_INIT, t2 = STRBUF_INIT;
	struct tock_err err = TOCK_ERR_INIT;
	struct jwt_claims c;
	char *dot;

	make(&tok, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"" SUB "\",\"iat\":1,\"exp\":9999999999}", false);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "token algorithm is not HS256");
	make(&tok, "{\"alg\":\"HS512\"}", "{}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "token algorithm is not HS256");
	make(&tok, "{\"alg\":\"hs256\"}", "{}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    NULL), TOCK_EINVAL);
	make(&tok, "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", "{}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    NULL), TOCK_EINVAL);
	/* Well signed by hand: accepted, then each claim checked. */
	make(&tok, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"" SUB "\",\"iat\":10,\"exp\":200}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    NULL), 0);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 200,
	    NULL), TOCK_ENOTFOUND);
	make(&tok, "{\"alg\":\"HS256\"}",
	    "{\"sub\":\"" SUB "\",\"iat\":10}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "token has no exp or iat");
	make(&tok, "{\"alg\":\"HS256\"}",
	    "{\"sub\":\"" SUB "\",\"iat\":500,\"exp\":900}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "token issued in the future");
	make(&tok, "{\"alg\":\"HS256\"}", "[1]", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    NULL), TOCK_EINVAL);
	make(&tok, "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", "{}", true);
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len, key, KEYLEN, 100,
	    NULL), TOCK_EINVAL);

	/* A real token with its payload swapped: the signature fails. */
	strbuf_reset(&tok);
	jwt_sign(&tok, key, KEYLEN, SUB, 1000, 1900, "j");
	jwt_sign(&t2, key, KEYLEN, "01936100-0000-7000-8000-000000000002",
	    1000, 1900, "j");
	dot = strchr(t2.buf, '.');
	{
		struct strbuf mix = STRBUF_INIT;
		char *d1 = strchr(tok.buf, '.'), *d2 = strrchr(tok.buf, '.');

		strbuf_add(&mix, tok.buf, (size_t)(d1 - tok.buf));
		strbuf_add(&mix, dot, (size_t)(strrchr(t2.buf, '.') - dot));
		strbuf_addstr(&mix, d2);
		assert_int_equal(jwt_verify(&c, mix.buf, mix.len, key, KEYLEN,
		    1500, &err), TOCK_EINVAL);
		assert_string_equal(err.msg, "bad token signature");
		strbuf_release(&mix);
	}
	/* Shapes. */
	assert_int_equal(jwt_verify(&c, "abc", 3, key, KEYLEN, 1, NULL),
	    TOCK_EINVAL);
	assert_int_equal(jwt_verify(&c, "a.b.c.d", 7, key, KEYLEN, 1, NULL),
	    TOCK_EINVAL);
	assert_int_equal(jwt_verify(&c, "", 0, key, KEYLEN, 1, NULL),
	    TOCK_EINVAL);
	/* Truncated signature. */
	assert_int_equal(jwt_verify(&c, tok.buf, tok.len - 2, key, KEYLEN,
	    1500, NULL), TOCK_EINVAL);
	strbuf_release(&tok);
	strbuf_release(&t2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_b64url_strict),
		cmocka_unit_test(test_jwt_round_trip),
		cmocka_unit_test(test_jwt_rfc7515),
		cmocka_unit_test(test_jwt_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
