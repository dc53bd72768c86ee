/*
 * wire.c - the little JSON tock-syncd reads itself: login/refresh answers,
 * error bodies, control-socket commands.  Sync pages and frames are the
 * engine's (common/sync.c).  All input is untrusted: parsed with
 * cJSON_ParseWithLengthOpts (bounded by len), types checked, strings
 * copied out before the tree is deleted.
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "syncd.h"

static cJSON *
parse(const char *json, size_t len)
{
	return cJSON_ParseWithLengthOpts(json, len, NULL, 0);
}

static char *
dup_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return NULL;
	return strdup(v->valuestring);
}

int
wire_login_parse(const char *json, size_t len, struct login_answer *out,
    struct tock_err *err)
{
	cJSON *root = parse(json, len);
	const cJSON *user, *exp;

	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return tock_err_set(err, TOCK_EPROTO, "the login answer is not "
		    "a JSON object");
	}
	user = cJSON_GetObjectItemCaseSensitive(root, "user");
	out->access_token = dup_str(root, "access_token");
	out->refresh_token = dup_str(root, "refresh_token");
	out->device_id = dup_str(root, "device_id");
	out->default_ws = dup_str(root, "default_workspace_id");
	if (cJSON_IsObject(user)) {
		out->user_id = dup_str(user, "id");
		out->email = dup_str(user, "email");
		out->name = dup_str(user, "name");
	}
	exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	out->expires_in = cJSON_IsNumber(exp) ? (long)exp->valuedouble : 900;
	cJSON_Delete(root);
	if (out->access_token == NULL || out->refresh_token == NULL ||
	    out->user_id == NULL) {
		wire_login_release(out);
		return tock_err_set(err, TOCK_EPROTO, "the login answer lacks "
		    "access_token, refresh_token or user.id");
	}
	return 0;
}

static void
scrub_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void
wire_login_release(struct login_answer *a)
{
	scrub_free(a->access_token);
	scrub_free(a->refresh_token);
	free(a->user_id);
	free(a->email);
	free(a->name);
	free(a->device_id);
	free(a->default_ws);
	memset(a, 0, sizeof *a);
}

void
wire_error(const char *json, size_t len, char *msg, size_t msgsz,
    char *code, size_t codesz)
{
	cJSON *root = parse(json, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *v;

	if (msgsz > 0)
		msg[0] = '\0';
	if (code != NULL && codesz > 0)
		code[0] = '\0';
	if (cJSON_IsObject(e)) {
		v = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(v))
			snprintf(msg, msgsz, "%s", v->valuestring);
		v = cJSON_GetObjectItemCaseSensitive(e, "code");
		if (code != NULL && cJSON_IsString(v))
			snprintf(code, codesz, "%s", v->valuestring);
	}
	cJSON_Delete(root);
}

char *
wire_string(const char *json, size_t len, const char *key)
{
	cJSON *root = parse(json, len);
	char *s = cJSON_IsObject(root) ? dup_str(root, key) : NULL;

	cJSON_Delete(root);
	return s;
}

void
wire_ctl_cmd(const char *line, size_t len, char *cmd, size_t cmdsz)
{
	cJSON *root = parse(line, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "cmd");

	cmd[0] = '\0';
	if (cJSON_IsString(v))
		snprintf(cmd, cmdsz, "%s", v->valuestring);
	cJSON_Delete(root);
}
