/* SPDX-License-Identifier: ISC */
/*
 * req.c - the life of a struct job (one request and its response), and the
 * JSON error bodies every handler answers with (DESIGN.md "Server
 * contract": {"error":{"code","message"}}).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "reqjson.h"
#include "server.h"
#include "timeparse.h"
#include "xmalloc.h"

struct job *
job_new(void)
{
	struct job *job = xcalloc(1, sizeof *job);

	strbuf_init(&job->rq.body, 0);
	strbuf_init(&job->rs.body, 0);
	return job;
}

void
job_free(struct job *job)
{
	int i;

	if (job == NULL)
		return;
	for (i = 0; i < job->rq.nquery; i++) {
		free(job->rq.query[i].key);
		free(job->rq.query[i].value);
	}
	strbuf_release(&job->rq.body);
	rjson_free(job->rq.json);
	free(job->rq.refresh_cookie);
	strbuf_release(&job->rs.body);
	free(job->rs.set_cookie);
	free(job);
}

const char *
req_query_get(const struct req *rq, const char *key)
{
	int i;

	for (i = 0; i < rq->nquery; i++)
		if (strcmp(rq->query[i].key, key) == 0)
			return rq->query[i].value;
	return NULL;
}

const char *
http_method_name(int method)
{
	switch (method) {
	case HTTP_GET:
		return "GET";
	case HTTP_POST:
		return "POST";
	case HTTP_PATCH:
		return "PATCH";
	case HTTP_DELETE:
		return "DELETE";
	case HTTP_PUT:
		return "PUT";
	case HTTP_HEAD:
		return "HEAD";
	case HTTP_OPTIONS:
		return "OPTIONS";
	}
	return "OTHER";
}

static void
error_body(struct resp *rs, int status, const char *code, const char *field,
    const char *msg)
{
	strbuf_reset(&rs->body);
	strbuf_addstr(&rs->body, "{\"error\":{\"code\":");
	strbuf_add_json_str(&rs->body, code);
	strbuf_addstr(&rs->body, ",\"message\":");
	strbuf_add_json_str(&rs->body, msg);
	if (field != NULL) {
		strbuf_addstr(&rs->body, ",\"field\":");
		strbuf_add_json_str(&rs->body, field);
	}
	strbuf_addstr(&rs->body, "}}");
	rs->status = status;
}

void
resp_error(struct resp *rs, int status, const char *code, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	error_body(rs, status, code, NULL, msg);
}

void
resp_field_error(struct resp *rs, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	error_body(rs, 400, "invalid", field, msg);
}

void
resp_internal(struct resp *rs, const struct req *rq, const char *msg)
{
	log_warnx("request %s: %s", rq->id, msg);
	error_body(rs, 500, "internal", NULL, "internal server error");
}

void
resp_json(struct resp *rs, int status, const char *text, size_t len)
{
	strbuf_reset(&rs->body);
	strbuf_add(&rs->body, text, len);
	rs->status = status;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
srv_new_id(char out[UUID_STRLEN + 1])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&lock);
	uuid_v7(out, time_now_ms());
	pthread_mutex_unlock(&lock);
}
