/* SPDX-License-Identifier: ISC */
/*
 * srvconf.c - tock-server's configuration: defaults, then TOCK_*
 * environment variables, then command-line flags, which win.  Every value
 * is checked here, at start-up, so a typo stops the server with a clear
 * message instead of surfacing as odd behaviour under load.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "server.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: tock-server [-hv] [--body-max bytes] [--database-url url]\n"
    "                   [--jwt-secret-file file] [--listen host:port]\n"
    "                   [--migrate-database-url url] [--pool-max n]\n"
    "                   [--pool-min n] [--registration open|invite]\n"
    "                   [--tls-cert file] [--tls-key file]\n"
    "                   migrate | serve | worker\n";

static const char help_text[] =
    "\n"
    "commands:\n"
    "  migrate   create or upgrade the database schema (as its owner)\n"
    "  serve     answer the REST API (as the application role)\n"
    "  worker    send the queued notification emails (TOCK_SMTP_URL)\n"
    "\n"
    "options (each also read from the environment variable shown):\n"
    "  --listen host:port          TOCK_LISTEN (127.0.0.1:8080)\n"
    "  --database-url url          TOCK_DATABASE_URL\n"
    "  --migrate-database-url url  TOCK_MIGRATE_DATABASE_URL\n"
    "  --tls-cert file             TOCK_TLS_CERT (TLS 1.3 with --tls-key)\n"
    "  --tls-key file              TOCK_TLS_KEY\n"
    "  --jwt-secret-file file      TOCK_JWT_SECRET_FILE\n"
    "  --pool-min n                TOCK_POOL_MIN (10)\n"
    "  --pool-max n                TOCK_POOL_MAX (50)\n"
    "  --registration open|invite  TOCK_REGISTRATION (open)\n"
    "  --body-max bytes            TOCK_BODY_MAX (1048576)\n"
    "  -v, --verbose               more log output\n"
    "  -h, --help                  this text\n"
    "\n"
    "environment only: TOCK_HEADER_MAX (8192), TOCK_JSON_DEPTH_MAX (32),\n"
    "TOCK_CLIENT_TIMEOUT (10 s), TOCK_JOB_TIMEOUT (30 s),\n"
    "TOCK_SHUTDOWN_TIMEOUT (30 s), TOCK_QUEUE_MAX (1000),\n"
    "TOCK_BCRYPT_COST (12; lower only in tests),\n"
    "TOCK_RATE_AUTH (10/60), TOCK_RATE_USER (600/60), TOCK_RATE_IP "
    "(1200/60).\n"
    "worker: TOCK_SMTP_URL, TOCK_SMTP_TLS (try|require), TOCK_SMTP_CA,\n"
    "TOCK_MAIL_FROM, TOCK_PUBLIC_URL, TOCK_TEMPLATE_DIR,\n"
    "TOCK_WORKER_POLL_MS, TOCK_WORKER_RETRY_MS, TOCK_WORKER_MAX_ATTEMPTS,\n"
    "TOCK_WORKER_DUE_SECS, TOCK_WORKER_METRICS_FILE.\n"
    "See tock-server(8).\n";

enum {
	OPT_BODY_MAX = 256,
	OPT_DATABASE_URL,
	OPT_JWT_SECRET_FILE,
	OPT_LISTEN,
	OPT_MIGRATE_URL,
	OPT_POOL_MAX,
	OPT_POOL_MIN,
	OPT_REGISTRATION,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "body-max", required_argument, NULL, OPT_BODY_MAX },
	{ "database-url", required_argument, NULL, OPT_DATABASE_URL },
	{ "help", no_argument, NULL, 'h' },
	{ "jwt-secret-file", required_argument, NULL, OPT_JWT_SECRET_FILE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "migrate-database-url", required_argument, NULL, OPT_MIGRATE_URL },
	{ "pool-max", required_argument, NULL, OPT_POOL_MAX },
	{ "pool-min", required_argument, NULL, OPT_POOL_MIN },
	{ "registration", required_argument, NULL, OPT_REGISTRATION },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

/* A whole decimal number in [lo, hi]. */
static int
parse_num(long long *out, const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
srvconf_rate_parse(struct rate_spec *out, const char *s)
{
	long long n, secs;
	const char *slash;
	char head[32];

	if (s == NULL || (slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof head)
		return -1;
	memcpy(head, s, (size_t)(slash - s));
	head[slash - s] = '\0';
	if (parse_num(&n, head, 1, 1000000) != 0 ||
	    parse_num(&secs, slash + 1, 1, 86400) != 0)
		return -1;
	out->burst = (double)n;
	out->per_sec = (double)n / (double)secs;
	return 0;
}

/* "host:port", "[v6]:port" or ":port" (all interfaces). */
static int
parse_listen(struct srv_config *cfg, const char *s)
{
	const char *colon;
	char *host;
	long long port;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		host = xstrndup(s, (size_t)(colon - s));
	}
	if (parse_num(&port, colon + 1, 1, 65535) != 0) {
		free(host);
		return -1;
	}
	free(cfg->listen_host);
	cfg->listen_host = *host != '\0' ? host : NULL;
	if (*host == '\0')
		free(host);
	cfg->listen_port = (int)port;
	return 0;
}

static int
bad(const char *what, const char *value)
{
	fprintf(stderr, "tock-server: invalid %s '%s'\n", what,
	    value != NULL ? value : "");
	return 2;
}

/* Apply one setting by name; value comes from a flag or the environment. */
static int
apply(struct srv_config *cfg, int opt, const char *v, const char *what)
{
	long long n;

	switch (opt) {
	case OPT_BODY_MAX:
		if (parse_num(&n, v, 1024, 64LL * 1024 * 1024) != 0)
			return bad(what, v);
		cfg->body_max = (size_t)n;
		break;
	case OPT_DATABASE_URL:
		set_str(&cfg->database_url, v);
		break;
	case OPT_MIGRATE_URL:
		set_str(&cfg->migrate_url, v);
		break;
	case OPT_JWT_SECRET_FILE:
		set_str(&cfg->jwt_secret_file, v);
		break;
	case OPT_LISTEN:
		if (parse_listen(cfg, v) != 0)
			return bad(what, v);
		break;
	case OPT_POOL_MAX:
		if (parse_num(&n, v, 1, 1000) != 0)
			return bad(what, v);
		cfg->pool_max = (int)n;
		break;
	case OPT_POOL_MIN:
		if (parse_num(&n, v, 1, 1000) != 0)
			return bad(what, v);
		cfg->pool_min = (int)n;
		break;
	case OPT_REGISTRATION:
		if (strcmp(v, "open") == 0)
			cfg->registration = REG_OPEN;
		else if (strcmp(v, "invite") == 0)
			cfg->registration = REG_INVITE;
		else
			return bad(what, v);
		break;
	case OPT_TLS_CERT:
		set_str(&cfg->tls_cert, v);
		break;
	case OPT_TLS_KEY:
		set_str(&cfg->tls_key, v);
		break;
	}
	return 0;
}

static const struct {
	const char *env;
	int opt;
} env_opts[] = {
	{ "TOCK_BODY_MAX", OPT_BODY_MAX },
	{ "TOCK_DATABASE_URL", OPT_DATABASE_URL },
	{ "TOCK_JWT_SECRET_FILE", OPT_JWT_SECRET_FILE },
	{ "TOCK_LISTEN", OPT_LISTEN },
	{ "TOCK_MIGRATE_DATABASE_URL", OPT_MIGRATE_URL },
	{ "TOCK_POOL_MAX", OPT_POOL_MAX },
	{ "TOCK_POOL_MIN", OPT_POOL_MIN },
	{ "TOCK_REGISTRATION", OPT_REGISTRATION },
	{ "TOCK_TLS_CERT", OPT_TLS_CERT },
	{ "TOCK_TLS_KEY", OPT_TLS_KEY },
};

/* Integer settings read only from the environment. */
static int
env_int(int *slot, const char *name, long long lo, long long hi)
{
	const char *v = getenv(name);
	long long n;

	if (v == NULL || *v == '\0')
		return 0;
	if (parse_num(&n, v, lo, hi) != 0)
		return bad(name, v);
	*slot = (int)n;
	return 0;
}

static int
env_rate(struct rate_spec *slot, const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return 0;
	if (srvconf_rate_parse(slot, v) != 0)
		return bad(name, v);
	return 0;
}

int
srvconf_load(struct srv_config *cfg, const char **cmd, int argc, char **argv)
{
	const char *v;
	size_t i;
	int c, rc;

	memset(cfg, 0, sizeof *cfg);
	cfg->listen_host = xstrdup("127.0.0.1");
	cfg->listen_port = 8080;
	cfg->pool_min = 10;
	cfg->pool_max = 50;
	cfg->registration = REG_OPEN;
	cfg->body_max = 1024 * 1024;
	cfg->header_max = 8192;
	cfg->json_depth_max = 32;
	cfg->client_timeout = 10;
	cfg->job_timeout = 30;
	cfg->shutdown_timeout = 30;
	cfg->queue_max = 1000;
	cfg->bcrypt_cost = AUTH_BCRYPT_COST;
	srvconf_rate_parse(&cfg->rate_auth, "10/60");
	srvconf_rate_parse(&cfg->rate_user, "600/60");
	srvconf_rate_parse(&cfg->rate_ip, "1200/60");

	for (i = 0; i < sizeof env_opts / sizeof env_opts[0]; i++) {
		v = getenv(env_opts[i].env);
		if (v != NULL && *v != '\0' &&
		    (rc = apply(cfg, env_opts[i].opt, v, env_opts[i].env)) != 0)
			return rc;
	}
	if ((rc = env_int(&cfg->header_max, "TOCK_HEADER_MAX", 1024,
	    65535)) != 0 ||
	    (rc = env_int(&cfg->json_depth_max, "TOCK_JSON_DEPTH_MAX", 2,
	    512)) != 0 ||
	    (rc = env_int(&cfg->client_timeout, "TOCK_CLIENT_TIMEOUT", 1,
	    3600)) != 0 ||
	    (rc = env_int(&cfg->job_timeout, "TOCK_JOB_TIMEOUT", 1,
	    3600)) != 0 ||
	    (rc = env_int(&cfg->shutdown_timeout, "TOCK_SHUTDOWN_TIMEOUT", 0,
	    3600)) != 0 ||
	    (rc = env_int(&cfg->queue_max, "TOCK_QUEUE_MAX", 1,
	    1000000)) != 0 ||
	    (rc = env_int(&cfg->bcrypt_cost, "TOCK_BCRYPT_COST", 4, 31)) != 0 ||
	    (rc = env_rate(&cfg->rate_auth, "TOCK_RATE_AUTH")) != 0 ||
	    (rc = env_rate(&cfg->rate_user, "TOCK_RATE_USER")) != 0 ||
	    (rc = env_rate(&cfg->rate_ip, "TOCK_RATE_IP")) != 0)
		return rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return 1;
		case 'v':
			cfg->verbose++;
			break;
		case OPT_VERSION:
			printf("tock-server %s\n", TOCK_VERSION);
			return 1;
		case '?':
			fputs(usage_text, stderr);
			return 2;
		default:
			for (i = 0; long_options[i].name != NULL; i++)
				if (long_options[i].val == c)
					break;
			if ((rc = apply(cfg, c, optarg,
			    long_options[i].name)) != 0)
				return rc;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return 2;
	}
	*cmd = argv[optind];
	if (cfg->pool_min > cfg->pool_max) {
		fprintf(stderr, "tock-server: pool minimum %d is above the "
		    "maximum %d\n", cfg->pool_min, cfg->pool_max);
		return 2;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		fprintf(stderr, "tock-server: TLS needs both a certificate "
		    "and a key\n");
		return 2;
	}
	return 0;
}

void
srvconf_release(struct srv_config *cfg)
{
	free(cfg->database_url);
	free(cfg->migrate_url);
	free(cfg->listen_host);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->jwt_secret_file);
	memset(cfg, 0, sizeof *cfg);
}
