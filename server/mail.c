/* SPDX-License-Identifier: ISC */
/*
 * mail.c - one notification email over SMTP with libcurl (see mail.h).
 *
 * The message is multipart/alternative (text, then HTML) built with
 * curl's MIME API, which also writes MIME-Version and the boundaries.
 * Header values that come from users (the subject holds a task title)
 * are stripped of CR and LF, so no one can add a header, and a subject
 * that is not ASCII is sent as an RFC 2047 encoded word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"
#include "mail.h"
#include "strbuf.h"
#include "xmalloc.h"

struct mailer {
	CURL *curl;
	char *url;
	char *ca_file;
	bool require_tls;
	char errbuf[CURL_ERROR_SIZE];
};

struct mailer *
mailer_new(const char *url, bool require_tls, const char *ca_file,
    struct tock_err *err)
{
	static int global_done;
	struct mailer *m;

	if (url == NULL || (strncmp(url, "smtp://", 7) != 0 &&
	    strncmp(url, "smtps://", 8) != 0)) {
		tock_err_set(err, TOCK_EINVAL, "TOCK_SMTP_URL must be "
		    "smtp://host:port or smtps://host:port");
		return NULL;
	}
	/* The worker is single-threaded; curl's global init once. */
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = 1;
	}
	m = xcalloc(1, sizeof *m);
	if ((m->curl = curl_easy_init()) == NULL) {
		free(m);
		tock_err_set(err, TOCK_ERR, "cannot start libcurl");
		return NULL;
	}
	m->url = xstrdup(url);
	m->ca_file = ca_file != NULL ? xstrdup(ca_file) : NULL;
	m->require_tls = require_tls;
	return m;
}

void
mailer_free(struct mailer *m)
{
	if (m == NULL)
		return;
	curl_easy_cleanup(m->curl);
	free(m->url);
	free(m->ca_file);
	free(m);
}

/* A header line "Name: value" with CR and LF in value turned to spaces. */
static void
add_header(struct curl_slist **h, const char *name, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;

	strbuf_addf(&sb, "%s: ", name);
	for (p = value; *p != '\0'; p++)
		strbuf_addch(&sb, *p == '\r' || *p == '\n' ? ' ' : *p);
	*h = curl_slist_append(*h, sb.buf);
	strbuf_release(&sb);
}

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* RFC 2047 "B" encoding of a UTF-8 subject, in words of at most 45
 * input bytes (60 base64 characters), split on character boundaries. */
static void
encode_subject(struct strbuf *out, const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t n = len - i > 45 ? 45 : len - i, j;

		/* Do not cut a UTF-8 sequence between two words. */
		while (n > 1 && i + n < len &&
		    ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		if (i > 0)
			strbuf_addstr(out, "\r\n ");
		strbuf_addstr(out, "=?UTF-8?B?");
		for (j = 0; j < n; j += 3) {
			unsigned v = (unsigned char)s[i + j] << 16;

			if (j + 1 < n)
				v |= (unsigned char)s[i + j + 1] << 8;
			if (j + 2 < n)
				v |= (unsigned char)s[i + j + 2];
			strbuf_addch(out, b64[(v >> 18) & 63]);
			strbuf_addch(out, b64[(v >> 12) & 63]);
			strbuf_addch(out, j + 1 < n ? b64[(v >> 6) & 63] : '=');
			strbuf_addch(out, j + 2 < n ? b64[v & 63] : '=');
		}
		strbuf_addstr(out, "?=");
		i += n;
	}
}

static void
clean_value(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++)
		strbuf_addch(out, *s == '\r' || *s == '\n' ? ' ' : *s);
}

int
mailer_send(struct mailer *m, const struct mail *msg, struct tock_err *err)
{
	struct curl_slist *headers = NULL, *rcpt = NULL;
	struct strbuf subj = STRBUF_INIT, addr = STRBUF_INIT;
	struct strbuf from_addr = STRBUF_INIT;
	curl_mime *mime = NULL, *alt = NULL;
	curl_mimepart *part;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	long code = 0;
	CURLcode res;
	int rc = 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	clean_value(&subj, msg->subject);
	if (!is_ascii(subj.buf)) {
		struct strbuf enc = STRBUF_INIT;

		encode_subject(&enc, subj.buf);
		strbuf_release(&subj);
		subj = enc;
	}
	add_header(&headers, "Date", date);
	add_header(&headers, "From", msg->from);
	add_header(&headers, "To", msg->to);
	{
		/* Cleaned above; encoded words may fold over lines. */
		struct strbuf h = STRBUF_INIT;

		strbuf_addf(&h, "Subject: %s", subj.buf);
		headers = curl_slist_append(headers, h.buf);
		strbuf_release(&h);
	}
	add_header(&headers, "Message-ID", msg->message_id);
	headers = curl_slist_append(headers, "Auto-Submitted: auto-generated");

	/* MAIL FROM is the address inside From's <...>, or all of it. */
	{
		const char *lt = strrchr(msg->from, '<');

		if (lt != NULL)
			clean_value(&from_addr, lt);
		else {
			strbuf_addch(&from_addr, '<');
			clean_value(&from_addr, msg->from);
			strbuf_addch(&from_addr, '>');
		}
	}
	strbuf_addch(&addr, '<');
	clean_value(&addr, msg->to_addr);
	strbuf_addch(&addr, '>');
	rcpt = curl_slist_append(NULL, addr.buf);

	mime = curl_mime_init(m->curl);
	alt = curl_mime_init(m->curl);
	part = curl_mime_addpart(alt);
	curl_mime_data(part, msg->text, CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/plain; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");
	if (msg->html != NULL) {
		part = curl_mime_addpart(alt);
		curl_mime_data(part, msg->html, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/html; charset=utf-8");
		curl_mime_encoder(part, "quoted-printable");
	}
	part = curl_mime_addpart(mime);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");

	curl_easy_reset(m->curl);
	m->errbuf[0] = '\0';
	curl_easy_setopt(m->curl, CURLOPT_URL, m->url);
	curl_easy_setopt(m->curl, CURLOPT_ERRORBUFFER, m->errbuf);
	curl_easy_setopt(m->curl, CURLOPT_USE_SSL, (long)(m->require_tls ?
	    CURLUSESSL_ALL : CURLUSESSL_TRY));
	curl_easy_setopt(m->curl, CURLOPT_MAIL_FROM, from_addr.buf);
	if (m->ca_file != NULL)
		curl_easy_setopt(m->curl, CURLOPT_CAINFO, m->ca_file);
	curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(m->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(m->curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(m->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(m->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
	res = curl_easy_perform(m->curl);
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK) {
		const char *why = m->errbuf[0] != '\0' ? m->errbuf :
		    curl_easy_strerror(res);

		/* A 5xx answer is the server's final word; everything else
		 * (no connection, a cut, a timeout, a 4xx) may pass. */
		if (code >= 500 && code < 600)
			rc = tock_err_set(err, TOCK_EINVAL, "SMTP %ld: %s",
			    code, why);
		else if (code >= 400 && code < 500)
			rc = tock_err_set(err, TOCK_EBUSY, "SMTP %ld: %s",
			    code, why);
		else
			rc = tock_err_set(err, TOCK_EBUSY, "%s", why);
	}
	curl_easy_setopt(m->curl, CURLOPT_MIMEPOST, NULL);
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	strbuf_release(&subj);
	strbuf_release(&addr);
	strbuf_release(&from_addr);
	return rc;
}
