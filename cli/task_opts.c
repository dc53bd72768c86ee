/* task_opts.c - task options shared by add and edit (see task_opts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "json.h"
#include "strbuf.h"
#include "task_opts.h"
#include "timeparse.h"
#include "xmalloc.h"

int
task_opts_tag(struct task_opts *o, const char *arg, bool allow_del,
    struct tock_err *err)
{
	bool del = false;
	int rc;

	if (arg[0] == '+')
		arg++;
	else if (arg[0] == '-' && allow_del) {
		arg++;
		del = true;
	}
	if ((rc = model_check_tag(arg, err)) != 0)
		return rc;
	if ((del ? o->ntag_del : o->ntag_add) == TASK_OPTS_MAX)
		return tock_err_set(err, TOCK_EINVAL, "too many --tag options");
	if (del)
		o->tag_del[o->ntag_del++] = (char *)arg;
	else
		o->tag_add[o->ntag_add++] = (char *)arg;
	return 0;
}

int
task_opts_meta(struct task_opts *o, const char *arg, struct tock_err *err)
{
	const char *eq = strchr(arg, '=');
	char *key;
	int rc;

	if (eq == NULL)
		return tock_err_set(err, TOCK_EINVAL,
		    "--meta takes KEY=VALUE, not '%s'", arg);
	key = xstrndup(arg, (size_t)(eq - arg));
	rc = model_check_meta_key(key, err);
	if (rc == 0 && (strcmp(key, "tags") == 0))
		rc = tock_err_set(err, TOCK_EINVAL, "use --tag for tags");
	free(key);
	if (rc != 0)
		return rc;
	if ((rc = model_check_text("metadata value", eq + 1, META_VALUE_MAX,
	    err)) != 0)
		return rc;
	if (o->nmeta == TASK_OPTS_MAX)
		return tock_err_set(err, TOCK_EINVAL, "too many --meta options");
	o->meta[o->nmeta++] = (char *)arg;
	return 0;
}

static bool
is_none(const char *s)
{
	return strcmp(s, "none") == 0 || *s == '\0';
}

int
task_opts_fields(struct task_opts *o, struct db *db, const char *metadata,
    struct fieldset *fs, struct tock_err *err)
{
	enum task_status st;
	int i, rc;

	if (o->title != NULL)
		fieldset_text(fs, "title", o->title);
	if (o->description != NULL) {
		if ((rc = model_check_text("description", o->description,
		    TEXT_MAX, err)) != 0)
			return rc;
		fieldset_text(fs, "description", o->description);
	}
	if (o->status != NULL) {
		if ((rc = task_status_parse(&st, o->status, err)) != 0)
			return rc;
		fieldset_text(fs, "status", task_status_name(st));
	}
	if (o->due != NULL) {
		if (is_none(o->due))
			fieldset_null(fs, "due_date");
		else {
			if ((rc = timeparse_due(o->due_date, o->due, db_now(db),
			    err)) != 0)
				return rc;
			fieldset_text(fs, "due_date", o->due_date);
		}
	}
	if (o->assign != NULL) {
		if (is_none(o->assign))
			fieldset_null(fs, "assignee_id");
		else {
			if ((rc = db_user_resolve(db, o->assignee, o->assign,
			    err)) != 0)
				return rc;
			fieldset_text(fs, "assignee_id", o->assignee);
		}
	}
	if (o->priority != NULL) {
		if (is_none(o->priority))
			fieldset_null(fs, "metadata.priority");
		else {
			if ((rc = model_check_text("priority", o->priority,
			    TAG_MAX, err)) != 0)
				return rc;
			fieldset_text(fs, "metadata.priority", o->priority);
		}
	}
	if (o->branch != NULL) {
		if (is_none(o->branch))
			fieldset_null(fs, "metadata.branch");
		else
			fieldset_text(fs, "metadata.branch", o->branch);
	}
	if (o->ntag_add > 0 || o->ntag_del > 0) {
		o->tag_add[o->ntag_add] = NULL;
		o->tag_del[o->ntag_del] = NULL;
		o->tags_json = json_tags_edit(metadata ? metadata : "{}",
		    o->tag_add, o->tag_del);
		fieldset_json(fs, "metadata.tags", o->tags_json);
	}
	for (i = 0; i < o->nmeta; i++) {
		const char *eq = strchr(o->meta[i], '=');
		char *name = xasprintf("metadata.%.*s",
		    (int)(eq - o->meta[i]), o->meta[i]);

		/* An empty value removes the key (SYNC.md 3.10: a null). */
		fieldset_text(fs, name, eq[1] ? eq + 1 : NULL);
		free(name);
	}
	return 0;
}

void
task_opts_release(struct task_opts *o)
{
	free(o->tags_json);
	o->tags_json = NULL;
}
