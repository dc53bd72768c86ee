/*
 * config.h - the config file, INI-like (DESIGN.md):
 *
 *   # comment
 *   key = value
 *   [section]
 *   key = value          (read as "section.key")
 *
 * Keys are case-insensitive; values run to the end of the line with
 * surrounding blanks removed, and may be "double quoted".  A missing file
 * is an empty config, not an error.
 */
#ifndef TOCK_CONFIG_H
#define TOCK_CONFIG_H

#include <stdbool.h>

struct tock_err;
struct config;

/* Read path into a new config (*out), or TOCK_EINVAL naming the line. */
int config_load(struct config **out, const char *path, struct tock_err *err);
/* Parse text (for tests and for config_load). */
int config_parse(struct config **out, const char *text, const char *name,
    struct tock_err *err);
void config_free(struct config *cfg);
/* Borrowed value, or NULL. */
const char *config_get(const struct config *cfg, const char *key);
/* "true/yes/on/1" and "false/no/off/0"; def when unset or unparsable. */
bool config_get_bool(const struct config *cfg, const char *key, bool def);

#endif
