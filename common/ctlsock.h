/*
 * ctlsock.h - the client end of tock-syncd's control socket
 * (syncd/PROTOCOL.md "Control socket"): the CLI kicks the daemon after a
 * write, the TUI subscribes to its "changed" events.
 */
#ifndef TOCK_CTLSOCK_H
#define TOCK_CTLSOCK_H

/* A connected, non-blocking socket to the daemon, or -1 when none
 * listens (or the path is unusable).  Never blocks. */
int ctlsock_connect(void);

#endif
