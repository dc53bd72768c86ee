/* SPDX-License-Identifier: ISC */
/*
 * main.c - tock-server: `migrate` the PostgreSQL schema, `serve` the REST
 * API with libwebsockets, or run the notification `worker` (notify.c).
 *
 * serve sets up, in order: the configuration, the JWT key, a check of the
 * database (schema version, and a role that row-level security applies
 * to), the lws context on one port (TLS 1.3 when a certificate is given),
 * then the database worker pool and the fan-out thread (fanout.c:
 * WebSocket pokes, NOTIFY/LISTEN between instances).  SIGTERM and SIGINT only set a flag; the
 * protocol's timer sees it, stops accepting, lets in-flight requests
 * finish, and ends the loop, and serve exits 0.
 */
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "api.h"
#include "auth.h"
#include "changelog.h"
#include "err.h"
#include "fanout.h"
#include "listcache.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "notify.h"
#include "pg.h"
#include "pool.h"
#include "proto_api.h"
#include "protocols.h"
#include "ratelimit.h"
#include "server.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	stop_flag = 1;
}

/* SIGTERM and SIGINT set stop_flag; SIGPIPE is ignored (a client that
 * hangs up is a write error, not a death). */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* lws's own log lines, into ours. */
static void
lws_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & (LLL_ERR | LLL_WARN))
		log_warnx("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

static void
wake_loop(void *arg)
{
	lws_cancel_service(arg);
}

/* WebSocket liveness: a ping after 30 s without traffic, hang up when
 * nothing came back for 70 s (longer than any HTTP job may take, as
 * the policy covers every connection of the vhost). */
static const lws_retry_bo_t ws_retry = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 70,
};

/* lws sizes its connection table from the descriptor limit: raise the
 * soft limit to the hard one, so thousands of idle WebSockets fit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warnx("cannot raise the open file limit");
}

static int
cmd_migrate(struct srv_config *cfg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg *pg = NULL;
	const char *url = cfg->migrate_url != NULL ? cfg->migrate_url :
	    cfg->database_url;
	int applied = 0;

	if (url == NULL) {
		log_warnx("no database: set TOCK_MIGRATE_DATABASE_URL or "
		    "TOCK_DATABASE_URL");
		return 1;
	}
	if (pg_connect(&pg, url, &err) != 0 ||
	    migrate_run(pg, &applied, &err) != 0) {
		log_warnx("%s", err.msg);
		pg_close(pg);
		return 1;
	}
	pg_close(pg);
	printf("schema at version %d (%d migration%s applied)\n",
	    migrate_latest(), applied, applied == 1 ? "" : "s");
	return 0;
}

static int
check_database(const struct srv_config *cfg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct pg *pg = NULL;

	if (cfg->database_url == NULL) {
		log_warnx("no database: set TOCK_DATABASE_URL");
		return -1;
	}
	if (pg_connect(&pg, cfg->database_url, &err) != 0 ||
	    migrate_check_serve(pg, &err) != 0) {
		log_warnx("%s", err.msg);
		pg_close(pg);
		return -1;
	}
	pg_close(pg);
	return 0;
}

static int
cmd_serve(struct server *srv)
{
	struct srv_config *cfg = &srv->cfg;
	struct lws_context_creation_info info;
	struct tock_err err = TOCK_ERR_INIT;
	struct pool_config pc;
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc = 1;

	if (auth_load_key(&key, &keylen, cfg->jwt_secret_file, &err) != 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	if (cfg->jwt_secret_file == NULL)
		log_warnx("no TOCK_JWT_SECRET_FILE: using a random key, so "
		    "access tokens die with this process and work on no other");
	srv->shared.cfg = cfg;
	srv->shared.jwt_key = key;
	srv->shared.jwt_keylen = keylen;
	if (check_database(cfg) != 0)
		goto out;
	srvhlc_init();
	auth_set_cost(cfg->bcrypt_cost);
	if (cfg->bcrypt_cost < AUTH_BCRYPT_COST)
		log_warnx("TOCK_BCRYPT_COST=%d: new password hashes are weaker "
		    "than bcrypt cost %d; for test suites only",
		    cfg->bcrypt_cost, AUTH_BCRYPT_COST);
	srv->rl_auth = rl_new(&cfg->rate_auth);
	srv->rl_user = rl_new(&cfg->rate_user);
	srv->rl_ip = rl_new(&cfg->rate_ip);
	srv->metrics = metrics_new(api_routes);
	srv->stop = &stop_flag;

	catch_signals();

	raise_nofile();
	/* Every commit with change-log rows pokes subscribers (fanout.c). */
	pg_set_commit_hook(cl_notify);
	lws_set_log_level(LLL_ERR | LLL_WARN | (cfg->verbose > 1 ?
	    LLL_NOTICE : 0), lws_emit);
	memset(&info, 0, sizeof info);
	info.port = cfg->listen_port;
	info.iface = cfg->listen_host;
	info.protocols = tock_protocols;
	info.user = srv;
	info.vhost_name = "tock";
	info.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	/* Header and URL cap: lws refuses a request whose headers do not
	 * fit.  Slow clients: headers and body each get client_timeout. */
	info.max_http_header_data = (unsigned short)cfg->header_max;
	info.timeout_secs = (unsigned int)cfg->client_timeout;
	info.timeout_secs_ah_idle = (unsigned int)cfg->client_timeout;
	info.keepalive_timeout = 5;
	/* HTTP/1.1 only: no h2 by ALPN. */
	info.alpn = "http/1.1";
	info.retry_and_idle_policy = &ws_retry;
	if (cfg->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->tls_cert;
		info.ssl_private_key_filepath = cfg->tls_key;
		/* TLS 1.3 or nothing. */
		info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
		    SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2;
	}
	if ((srv->ctx = lws_create_context(&info)) == NULL) {
		log_warnx("cannot listen on %s:%d", cfg->listen_host != NULL ?
		    cfg->listen_host : "*", cfg->listen_port);
		goto out;
	}
	memset(&pc, 0, sizeof pc);
	pc.conninfo = cfg->database_url;
	pc.min = cfg->pool_min;
	pc.max = cfg->pool_max;
	pc.job_timeout = cfg->job_timeout;
	pc.wake = wake_loop;
	pc.wake_arg = srv->ctx;
	srv->pool = pool_new(&pc);
	if (fanout_start(srv->ctx, cfg->database_url, &err) != 0) {
		log_warnx("%s", err.msg);
		goto out;
	}
	log_info("listening on %s%s:%d", cfg->tls_cert != NULL ? "https://" :
	    "http://", cfg->listen_host != NULL ? cfg->listen_host : "*",
	    cfg->listen_port);

	while (!srv->done)
		if (lws_service(srv->ctx, 0) < 0)
			break;
	rc = srv->done ? 0 : 1;
	log_info("stopped");
out:
	/* The fan-out thread wakes the loop: stop it before the loop goes. */
	fanout_stop();
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
	pool_free(srv->pool);
	listcache_clear();
	rl_free(srv->rl_auth);
	rl_free(srv->rl_user);
	rl_free(srv->rl_ip);
	metrics_free(srv->metrics);
	if (key != NULL) {
		explicit_bzero(key, keylen);
		free(key);
	}
	return rc;
}

static int
cmd_worker(struct srv_config *cfg)
{
	catch_signals();
	return notify_worker(cfg, &stop_flag);
}

int
main(int argc, char **argv)
{
	struct server srv;
	const char *cmd = NULL;
	int rc;

	memset(&srv, 0, sizeof srv);
	log_init("tock-server", LOG_LVL_INFO, 0);
	if ((rc = srvconf_load(&srv.cfg, &cmd, argc, argv)) != 0) {
		srvconf_release(&srv.cfg);
		return rc == 1 ? 0 : rc;
	}
	if (srv.cfg.verbose > 0)
		log_init("tock-server", LOG_LVL_DEBUG, 0);
	if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&srv.cfg);
	else if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(&srv);
	else if (strcmp(cmd, "worker") == 0)
		rc = cmd_worker(&srv.cfg);
	else {
		fprintf(stderr, "tock-server: '%s' is not a command; see "
		    "'tock-server --help'\n", cmd);
		rc = 2;
	}
	srvconf_release(&srv.cfg);
	return rc;
}
