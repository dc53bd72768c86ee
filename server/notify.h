/* SPDX-License-Identifier: ISC */
/*
 * notify.h - `tock-server worker`: deliver the notifications that the
 * database queued in the same transaction as the change that caused them
 * (DESIGN.md "Notifications"; the triggers are in migrate.c).
 *
 * Settings, from the environment (flags are the serve side's):
 *   TOCK_SMTP_URL             smtp://[user:pass@]host:port (required)
 *   TOCK_SMTP_TLS             "try" (default: STARTTLS when offered) or
 *                             "require"
 *   TOCK_SMTP_CA              CA file to verify the mail server with
 *   TOCK_MAIL_FROM            From: of the messages ("tock <tock@localhost>")
 *   TOCK_PUBLIC_URL           base of links in the messages
 *   TOCK_TEMPLATE_DIR         where <kind>.txt and <kind>.html live
 *   TOCK_WORKER_POLL_MS       idle poll of the queue (1000)
 *   TOCK_WORKER_RETRY_MS      first retry delay, doubled per attempt (30000)
 *   TOCK_WORKER_MAX_ATTEMPTS  give up after this many (8)
 *   TOCK_WORKER_DUE_SECS      how often to look for tasks due soon (60)
 *   TOCK_WORKER_METRICS_FILE  Prometheus text file (node_exporter's
 *                             textfile collector), rewritten every 10 s
 */
#ifndef TOCK_NOTIFY_H
#define TOCK_NOTIFY_H

#include <signal.h>

struct srv_config;

/* Run until *stop is set (SIGTERM): the message in flight is finished
 * first.  Returns the process exit status. */
int notify_worker(const struct srv_config *cfg, volatile sig_atomic_t *stop);

#endif
