/*
 * syncd_exec.h - how tock reaches the network without linking a network
 * library: by running tock-syncd as a helper (git runs git-remote-https
 * the same way), and by talking to a running daemon on its control socket
 * (syncd/PROTOCOL.md).
 */
#ifndef TOCK_SYNCD_EXEC_H
#define TOCK_SYNCD_EXEC_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;
struct tock_err;

/*
 * Run tock-syncd with args (NULL-terminated, argv[0] not included): the
 * one named by $TOCK_SYNCD, else the one next to this tock (or in a build
 * tree's ../syncd/), else tock-syncd in PATH.
 *
 * input, when not NULL, is written to the child's standard input through
 * a pipe, which is then closed: secrets never go through argv or the
 * environment.  Otherwise the child's standard input is /dev/null.  out
 * and errout, when not NULL, capture the child's stdout and stderr;
 * otherwise it inherits ours.
 *
 * Returns the child's exit status (0..255; a child killed by a signal
 * counts as 1), or -1 with err filled when it could not be run.
 */
int syncd_run(const char *const *args, const char *input, struct strbuf *out,
    struct strbuf *errout, struct tock_err *err);

/*
 * An authenticated REST call through tock-syncd --request on the replica
 * at db_path (PROTOCOL.md): the answer's body into out, the exit status
 * (0 for 2xx, 3, 5, 6, 1 as tock's) returned, or -1 with err filled when
 * tock-syncd could not be run.  data is the JSON body or NULL.  The caller
 * closes its own database handle first: tock-syncd writes the replica.
 */
int syncd_request(const char *db_path, const char *method, const char *path,
    const char *data, struct strbuf *out, struct tock_err *err);

/*
 * Tell a running daemon that the replica changed: connect without
 * blocking, write {"cmd":"kick"}, close.  Does nothing (quietly) when no
 * daemon listens; never waits.
 */
void syncd_kick(void);

/*
 * Send one request line (a JSON object, no newline) to the daemon and
 * read its one-line answer within timeout_ms.  0 with *answer malloc'd;
 * TOCK_ENOTFOUND when no daemon listens; TOCK_EIO when it does not answer
 * in time or hangs up.
 */
int syncd_ask(const char *request, int timeout_ms, char **answer,
    struct tock_err *err);

/*
 * Tiny readers for the flat JSON objects the daemon answers with: the
 * value of a top-level key.  They return false when the key is absent or
 * of another type.  json_get_str unescapes into a malloc'd string.
 */
bool json_get_bool(const char *json, const char *key, bool *out);
bool json_get_int(const char *json, const char *key, int64_t *out);
char *json_get_str(const char *json, const char *key);

/* A monotonic clock in milliseconds, for deadlines. */
int64_t mono_ms(void);
/* Sleep ms milliseconds (restarted after signals). */
void sleep_ms(int64_t ms);

#endif
