/*
 * http.c - REST over one libcurl easy handle (curl's easy API: set options,
 * perform, read CURLINFO_RESPONSE_CODE).  The handle is reused so
 * consecutive requests of a round share one keep-alive connection; it
 * belongs to one thread at a time (the caller's).  Bodies are collected
 * into a bounded strbuf (SYNCD_BODY_MAX): a runaway server cannot make us
 * allocate without limit.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "strbuf.h"
#include "syncd.h"

struct http {
	CURL *h;
};

struct sink {
	struct strbuf *sb;
	long retry_after;
	bool toobig;
};

int
http_global_init(struct tock_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tock_err_set(err, TOCK_ERR, "cannot initialise libcurl");
	return 0;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

int
http_new(struct http **out, struct tock_err *err)
{
	struct http *h = calloc(1, sizeof *h);

	if (h == NULL || (h->h = curl_easy_init()) == NULL) {
		free(h);
		return tock_err_set(err, TOCK_ERR, "cannot create a curl handle");
	}
	*out = h;
	return 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->h);
	free(h);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->sb->len + size * n > SYNCD_BODY_MAX ||
	    strbuf_add(s->sb, data, size * n) != 0) {
		s->toobig = true;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		s->retry_after = strtol(data + 12, NULL, 10);
	return len;
}

int
http_request(struct http *h, const char *method, const char *url,
    const char *bearer, const char *body, int *status, struct strbuf *resp,
    long *retry_after, struct tock_err *err)
{
	struct curl_slist *hdr = NULL;
	struct strbuf auth = STRBUF_INIT;
	struct sink sink = { resp, 0, false };
	CURLcode cc;
	long code = 0;
	int rc = 0;

	strbuf_reset(resp);
	curl_easy_reset(h->h);
	curl_easy_setopt(h->h, CURLOPT_URL, url);
	curl_easy_setopt(h->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->h, CURLOPT_NOSIGNAL, 1L);	/* threads */
	curl_easy_setopt(h->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* Slow sync pages are fine; a stalled one is not (a proxy that
	 * holds the connection must not hold the daemon's round long). */
	curl_easy_setopt(h->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->h, CURLOPT_LOW_SPEED_TIME, 15L);
	curl_easy_setopt(h->h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->h, CURLOPT_USERAGENT, "tock-syncd/" TOCK_VERSION);
	curl_easy_setopt(h->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->h, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(h->h, CURLOPT_PROTOCOLS_STR, "http,https");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(h->h, CURLOPT_POSTFIELDS, "");
	}
	if (bearer != NULL) {
		strbuf_addf(&auth, "Authorization: Bearer %s", bearer);
		hdr = curl_slist_append(hdr, auth.buf);
	}
	curl_easy_setopt(h->h, CURLOPT_HTTPHEADER, hdr);

	cc = curl_easy_perform(h->h);
	if (sink.toobig) {
		rc = tock_err_set(err, TOCK_ETOOBIG, "the answer of %s is larger "
		    "than %u bytes", url, SYNCD_BODY_MAX);
	} else if (cc != CURLE_OK) {
		rc = tock_err_set(err, TOCK_EIO, "cannot reach %s: %s", url,
		    curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(h->h, CURLINFO_RESPONSE_CODE, &code);
		*status = (int)code;
		if (retry_after != NULL)
			*retry_after = sink.retry_after;
	}
	/* The header list held the token: scrub it before it is freed. */
	if (auth.len > 0)
		memset(auth.buf, 0, auth.len);
	curl_easy_setopt(h->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	strbuf_release(&auth);
	return rc;
}
