/* SPDX-License-Identifier: ISC */
/*
 * mail.h - sending one notification email over SMTP with libcurl
 * (DESIGN.md "Notifications").
 *
 * A struct mailer keeps one curl easy handle, so consecutive messages
 * reuse the SMTP connection (the 1,000-messages-in-10-s target needs it).
 * STARTTLS is used when the server offers it (CURLUSESSL_TRY), and
 * demanded when require_tls is set; smtps:// is TLS from the start.
 * Credentials come in the URL (smtp://user:password@host:port), as curl
 * takes them.
 *
 * Outcomes: 0 sent; TOCK_EBUSY a temporary failure worth retrying
 * (connection refused or cut, timeout, an SMTP 4xx answer); TOCK_EINVAL a
 * permanent one (an SMTP 5xx answer: bad recipient, auth refused).  err
 * says what the server answered.
 *
 * Not thread-safe: one mailer per thread.
 */
#ifndef TOCK_MAIL_H
#define TOCK_MAIL_H

#include <stdbool.h>

struct tock_err;
struct mailer;

struct mail {
	const char *from;	/* "tock <tock@example.org>" */
	const char *to;		/* "Name <addr>" or "addr" */
	const char *to_addr;	/* the bare address for RCPT TO */
	const char *subject;	/* UTF-8; encoded here when not ASCII */
	const char *message_id;	/* "<id@host>": stable across retries */
	const char *text;	/* the text/plain part */
	const char *html;	/* the text/html part, or NULL */
};

/* url: smtp://host:port or smtps://...; require_tls refuses to send in
 * clear when the server offers no STARTTLS; ca_file (or NULL for the
 * system's) verifies the server's certificate. */
struct mailer *mailer_new(const char *url, bool require_tls,
    const char *ca_file, struct tock_err *err);
void mailer_free(struct mailer *m);
int mailer_send(struct mailer *m, const struct mail *msg,
    struct tock_err *err);

#endif
