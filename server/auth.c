/* SPDX-License-Identifier: ISC */
/*
 * auth.c - password hashing, refresh tokens and the JWT key (auth.h).
 */
#include <sys/stat.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth.h"
#include "err.h"
#include "jwt.h"
#include "uuid.h"
#include "xmalloc.h"

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[AUTH_HASH_MAX];
static int bcrypt_cost = AUTH_BCRYPT_COST;

void
auth_set_cost(int cost)
{
	bcrypt_cost = cost;
}

int
auth_hash_password(char out[AUTH_HASH_MAX], const char *password,
    struct tock_err *err)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = 0;

	/* NULL random bytes: libcrypt reads the kernel's. */
	if (crypt_gensalt_rn("$2b$", (unsigned long)bcrypt_cost, NULL, 0, salt,
	    sizeof salt) == NULL)
		return tock_err_set(err, TOCK_ERR, "cannot make a salt: %s",
		    strerror(errno));
	cd = xcalloc(1, sizeof *cd);
	h = crypt_rn(password, salt, cd, (int)sizeof *cd);
	if (h == NULL || h[0] == '*' || strlen(h) >= AUTH_HASH_MAX)
		rc = tock_err_set(err, TOCK_ERR, "cannot hash the password");
	else
		strcpy(out, h);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

static void
make_dummy(void)
{
	if (auth_hash_password(dummy_hash, "not a password, only time", NULL)
	    != 0)
		dummy_hash[0] = '\0';
}

bool
auth_check_password(const char *password, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	bool ok = false;
	size_t n;

	if (hash == NULL) {
		pthread_once(&dummy_once, make_dummy);
		hash = dummy_hash;
	}
	cd = xcalloc(1, sizeof *cd);
	h = crypt_rn(password, hash, cd, (int)sizeof *cd);
	n = strlen(hash);
	if (h != NULL && h[0] != '*' && strlen(h) == n && n > 0)
		ok = CRYPTO_memcmp(h, hash, n) == 0;
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return ok && hash != dummy_hash;
}

void
auth_new_token(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[32];

	uuid_random(raw, sizeof raw);
	b64url_encode(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw);
	explicit_bzero(raw, sizeof raw);
}

void
auth_token_hash(char out[AUTH_TOKEN_HASH_LEN + 1], const char *token)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	int i;

	SHA256((const unsigned char *)token, strlen(token), md);
	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 15];
	}
	out[2 + 2 * SHA256_DIGEST_LENGTH] = '\0';
}

int
auth_load_key(unsigned char **key, size_t *keylen, const char *file,
    struct tock_err *err)
{
	unsigned char buf[4097];
	ssize_t n;
	size_t len = 0;
	int fd;

	if (file == NULL) {
		*key = xmalloc(32);
		uuid_random(*key, 32);
		*keylen = 32;
		return 0;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return tock_err_set(err, TOCK_EIO, "cannot open '%s': %s",
		    file, strerror(errno));
	while (len < sizeof buf &&
	    (n = read(fd, buf + len, sizeof buf - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return tock_err_set(err, TOCK_EIO, "cannot read '%s': %s",
			    file, strerror(errno));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == sizeof buf)
		return tock_err_set(err, TOCK_EINVAL,
		    "JWT secret '%s' is longer than 4096 bytes", file);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len < 32) {
		explicit_bzero(buf, sizeof buf);
		return tock_err_set(err, TOCK_EINVAL,
		    "JWT secret '%s' is shorter than 32 bytes", file);
	}
	*key = xmalloc(len);
	memcpy(*key, buf, len);
	*keylen = len;
	explicit_bzero(buf, sizeof buf);
	return 0;
}
