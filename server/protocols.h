/* SPDX-License-Identifier: ISC */
/*
 * protocols.h - the lws protocol table of tock-server (protocols.c).
 */
#ifndef TOCK_PROTOCOLS_H
#define TOCK_PROTOCOLS_H

#include <libwebsockets.h>

/* Ends with the all-NULL row lws 4.1.6 expects. */
extern const struct lws_protocols tock_protocols[];

#endif
