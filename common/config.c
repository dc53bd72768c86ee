/* config.c - reading the INI-like config file (see config.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "err.h"
#include "strbuf.h"
#include "xmalloc.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

struct config_item {
	char *key;
	char *value;
};

struct config {
	struct config_item *items;
	size_t n;
};

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
config_set(struct config *cfg, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->items[i].key, key) == 0) {
			free(cfg->items[i].value);
			cfg->items[i].value = xstrdup(value);
			return;
		}
	}
	cfg->items = xrealloc(cfg->items, (cfg->n + 1) * sizeof *cfg->items);
	cfg->items[cfg->n].key = xstrdup(key);
	cfg->items[cfg->n].value = xstrdup(value);
	cfg->n++;
}

int
config_parse(struct config **out, const char *text, const char *name,
    struct tock_err *err)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	char *copy = xstrdup(text), *line, *next, *section = NULL;
	int lineno = 0, rc = 0;

	for (line = copy; line != NULL; line = next) {
		char *eq, *key, *val;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			if (end == NULL || end[1] != '\0' || end == line + 1) {
				rc = tock_err_set(err, TOCK_EINVAL,
				    "%s:%d: bad section header", name, lineno);
				goto out;
			}
			*end = '\0';
			free(section);
			section = xstrdup(trim(line + 1));
			lower(section);
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL) {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "%s:%d: expected 'key = value'", name, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (*key == '\0') {
			rc = tock_err_set(err, TOCK_EINVAL,
			    "%s:%d: empty key", name, lineno);
			goto out;
		}
		lower(key);
		if (val[0] == '"' && strlen(val) >= 2 &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		if (section != NULL) {
			char *full = xasprintf("%s.%s", section, key);

			config_set(cfg, full, val);
			free(full);
		} else
			config_set(cfg, key, val);
	}
out:
	free(section);
	free(copy);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
config_load(struct config **out, const char *path, struct tock_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	int rc;

	strbuf_init(&sb, CONFIG_MAX_BYTES);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return config_parse(out, "", path, err);
		return tock_err_set(err, TOCK_EIO, "cannot read '%s': %s",
		    path, strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (strbuf_add(&sb, chunk, n) != 0) {
			fclose(f);
			strbuf_release(&sb);
			return tock_err_set(err, TOCK_ETOOBIG,
			    "config file '%s' is too large", path);
		}
	}
	/* A directory opens fine and fails on read (EISDIR). */
	if (ferror(f)) {
		rc = tock_err_set(err, TOCK_EIO, "cannot read '%s': %s", path,
		    strerror(errno));
		fclose(f);
		strbuf_release(&sb);
		return rc;
	}
	fclose(f);
	rc = config_parse(out, sb.buf, path, err);
	strbuf_release(&sb);
	return rc;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->items[i].key);
		free(cfg->items[i].value);
	}
	free(cfg->items);
	free(cfg);
}

const char *
config_get(const struct config *cfg, const char *key)
{
	size_t i;

	if (cfg == NULL)
		return NULL;
	for (i = 0; i < cfg->n; i++)
		if (strcasecmp(cfg->items[i].key, key) == 0)
			return cfg->items[i].value;
	return NULL;
}

bool
config_get_bool(const struct config *cfg, const char *key, bool def)
{
	const char *v = config_get(cfg, key);

	if (v == NULL)
		return def;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		return true;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		return false;
	return def;
}
