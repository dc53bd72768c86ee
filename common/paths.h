/*
 * paths.h - where tock keeps its files (XDG base directories).
 *
 *   database  $TOCK_DB, else $XDG_DATA_HOME/tock/tock.db
 *             (XDG_DATA_HOME defaults to ~/.local/share)
 *   config    $TOCK_CONFIG, else $XDG_CONFIG_HOME/tock/config (~/.config)
 *   socket    $XDG_RUNTIME_DIR/tock/syncd.sock (else /tmp/tock-UID/)
 *
 * Every function returns a malloc'd path the caller frees, or NULL with err
 * filled when no home directory can be found.
 */
#ifndef TOCK_PATHS_H
#define TOCK_PATHS_H

struct tock_err;

char *paths_db(struct tock_err *err);
char *paths_config(struct tock_err *err);
char *paths_socket(struct tock_err *err);
/* mkdir -p of the directory part of path, mode 0700. */
int paths_mkparent(const char *path, struct tock_err *err);

#endif
