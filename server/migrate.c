/* SPDX-License-Identifier: ISC */
/*
 * migrate.c - tock-server's PostgreSQL schema and its migrations.
 *
 * The tables mirror the replica's data tables (DESIGN.md "Local replica")
 * plus the sync tables of SYNC.md 3.4: scopes (one per workspace, one per
 * user, each with the last_seq that orders its change log), sync_log,
 * applied_ops, devices, conflicts, purged_ids; and auth (refresh tokens),
 * invitations and notifications.
 *
 * Isolation: row-level security is enabled on every table that belongs to
 * a workspace.  Policies call tock_uid(), the user the server set for the
 * transaction with set_config('tock.user_id', ..., true), and two SECURITY
 * DEFINER helpers (tock_is_member, tock_role) that read memberships as the
 * owner, so a memberships policy can ask about memberships without
 * recursing.  Creating a workspace goes through tock_create_workspace(),
 * which makes its scope, the row and the caller's admin membership in one
 * step: no policy has to allow "insert a membership of a workspace you are
 * not yet in".  The application's own role checks (roles.c) run first and
 * give precise 403s; the policies are the backstop that keeps one
 * workspace's rows out of another's requests even if a check is wrong.
 *
 * Migrations are arrays of single statements because every statement
 * goes through PQexecParams, which runs exactly one.  Never edit a
 * migration that has shipped: add the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "migrate.h"
#include "pg.h"

/* pg_advisory_xact_lock key: "tock" in ASCII, then 1 for migrations. */
#define MIGRATE_LOCK "1953457003001"

static const char *const m1_initial[] = {
	"CREATE EXTENSION IF NOT EXISTS citext",
	/* The application role: serve logs in as a member of it. */
	"DO $$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tock_app')"
	" THEN CREATE ROLE tock_app NOLOGIN; END IF; END $$",

	/* Helpers. */
	"CREATE FUNCTION tock_uid() RETURNS uuid LANGUAGE sql STABLE AS"
	" $$ SELECT NULLIF(current_setting('tock.user_id', true), '')::uuid $$",
	"CREATE FUNCTION tock_ts(t timestamptz) RETURNS text LANGUAGE sql"
	" STABLE STRICT AS $$ SELECT to_char(t AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') $$",
	"CREATE FUNCTION tock_ms(t timestamptz) RETURNS bigint LANGUAGE sql"
	" IMMUTABLE STRICT AS"
	" $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint $$",
	/* {field: hlc} for every key of a change's fields. */
	"CREATE FUNCTION tock_fhlc(fields jsonb, hlc text) RETURNS jsonb"
	" LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_object_agg(k,"
	" hlc), '{}'::jsonb) FROM jsonb_object_keys(fields) AS k $$",

	"CREATE TABLE users ("
	" id uuid PRIMARY KEY,"
	" email citext NOT NULL UNIQUE,"
	" name text NOT NULL,"
	" password_hash text NOT NULL,"
	" default_workspace_id uuid,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now())",
	/* A scope is a unit of replication and ordering (SYNC.md 3.4):
	 * kind 1 a workspace (same id), kind 2 a user (the user's id). */
	"CREATE TABLE scopes ("
	" id uuid PRIMARY KEY,"
	" kind smallint NOT NULL CHECK (kind IN (1, 2)),"
	" last_seq bigint NOT NULL DEFAULT 0,"
	" compacted_through bigint NOT NULL DEFAULT 0,"
	" updated_at timestamptz NOT NULL DEFAULT now())",
	"CREATE INDEX scopes_recent ON scopes (updated_at)",
	"CREATE TABLE workspaces ("
	" id uuid PRIMARY KEY REFERENCES scopes (id),"
	" name text NOT NULL,"
	" personal boolean NOT NULL DEFAULT false,"
	" created_by uuid NOT NULL REFERENCES users (id),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" fhlc jsonb NOT NULL DEFAULT '{}',"
	" last_seq bigint NOT NULL DEFAULT 0)",
	"ALTER TABLE users ADD CONSTRAINT users_default_workspace_fkey"
	" FOREIGN KEY (default_workspace_id) REFERENCES workspaces (id)",
	"CREATE TABLE memberships ("
	" workspace_id uuid NOT NULL REFERENCES workspaces (id)"
	"  ON DELETE CASCADE,"
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" role text NOT NULL CHECK (role IN ('admin', 'lead', 'member')),"
	" fhlc jsonb NOT NULL DEFAULT '{}',"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (workspace_id, user_id))",
	"CREATE INDEX memberships_user ON memberships (user_id)",
	/* An admin's invitation of an email with no account yet; it becomes
	 * a membership when that email registers. */
	"CREATE TABLE invitations ("
	" workspace_id uuid NOT NULL REFERENCES workspaces (id)"
	"  ON DELETE CASCADE,"
	" email citext NOT NULL,"
	" role text NOT NULL CHECK (role IN ('admin', 'lead', 'member')),"
	" invited_by uuid NOT NULL REFERENCES users (id),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (workspace_id, email))",
	"CREATE INDEX invitations_email ON invitations (email)",
	/* A device is one login: its refresh tokens form one family. */
	"CREATE TABLE devices ("
	" id uuid PRIMARY KEY,"
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" node_id text NOT NULL UNIQUE,"
	" name text NOT NULL DEFAULT '',"
	" last_client_seq bigint NOT NULL DEFAULT 0,"
	" results_acked_through bigint NOT NULL DEFAULT 0,"
	" proto smallint, schema smallint,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" last_seen timestamptz, revoked_at timestamptz)",
	"CREATE INDEX devices_user ON devices (user_id)",
	"CREATE TABLE refresh_tokens ("
	" token_hash bytea PRIMARY KEY,"
	" family_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" expires_at timestamptz NOT NULL,"
	" rotated_at timestamptz,"
	" revoked_at timestamptz)",
	"CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",

	"CREATE TABLE tasks ("
	" id uuid PRIMARY KEY,"
	" workspace_id uuid NOT NULL REFERENCES workspaces (id),"
	" title text NOT NULL,"
	" description text NOT NULL DEFAULT '',"
	" status text NOT NULL DEFAULT 'todo'"
	"  CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),"
	" assignee_id uuid REFERENCES users (id),"
	" created_by uuid NOT NULL REFERENCES users (id),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" due_date date,"
	" metadata jsonb NOT NULL DEFAULT '{}'"
	"  CHECK (jsonb_typeof(metadata) = 'object'),"
	" deleted boolean NOT NULL DEFAULT false,"
	" deleted_at timestamptz,"
	" version integer NOT NULL DEFAULT 1,"
	" fhlc jsonb NOT NULL DEFAULT '{}',"
	" last_seq bigint NOT NULL DEFAULT 0)",
	"CREATE INDEX tasks_ws ON tasks (workspace_id, id)",
	"CREATE INDEX tasks_assignee ON tasks (assignee_id) WHERE NOT deleted",
	/* Time entries (SYNC.md 3.4 and 3.11, with DESIGN.md's names). */
	"CREATE TABLE time_entries ("
	" id uuid PRIMARY KEY,"
	" workspace_id uuid NOT NULL REFERENCES workspaces (id),"
	" user_id uuid NOT NULL REFERENCES users (id),"
	" task_id uuid REFERENCES tasks (id),"
	" origin text NOT NULL CHECK (origin IN ('timer', 'manual')),"
	" start_time timestamptz NOT NULL,"
	" end_time timestamptz,"
	" end_src text CHECK (end_src IN ('stop', 'edit', 'auto')),"
	" start_hlc text NOT NULL,"
	" stop_at timestamptz, stop_hlc text,"
	" auto_at timestamptz, auto_hlc text,"
	" edit_end timestamptz, edit_hlc text,"
	" duration interval GENERATED ALWAYS AS (end_time - start_time) STORED,"
	" notes text NOT NULL DEFAULT '',"
	" deleted boolean NOT NULL DEFAULT false,"
	" deleted_at timestamptz,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" version integer NOT NULL DEFAULT 1,"
	" fhlc jsonb NOT NULL DEFAULT '{}',"
	" last_seq bigint NOT NULL DEFAULT 0,"
	" CHECK (end_time IS NULL OR end_time >= start_time))",
	/* The invariant, enforced even if application code is wrong. */
	"CREATE UNIQUE INDEX one_running_timer ON time_entries (user_id)"
	" WHERE end_time IS NULL AND NOT deleted",
	"CREATE INDEX time_entries_user_hlc ON time_entries (user_id,"
	" start_hlc) WHERE origin = 'timer'",
	"CREATE INDEX time_entries_task ON time_entries (task_id, id)",
	"CREATE TABLE comments ("
	" id uuid PRIMARY KEY,"
	" workspace_id uuid NOT NULL REFERENCES workspaces (id),"
	" task_id uuid NOT NULL REFERENCES tasks (id),"
	" author_id uuid NOT NULL REFERENCES users (id),"
	" body text NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" deleted boolean NOT NULL DEFAULT false,"
	" fhlc jsonb NOT NULL DEFAULT '{}',"
	" last_seq bigint NOT NULL DEFAULT 0)",
	"CREATE INDEX comments_task ON comments (task_id, id)",

	/* Sync (SYNC.md 3.4). entity: 1 task, 2 time_entry, 3 comment,
	 * 4 workspace, 5 membership, 6 user_state; kind: 1 create, 2 set,
	 * 3 delete, 4 restore, 5 purge, 6 membership. */
	"CREATE TABLE sync_log ("
	" scope_id uuid NOT NULL REFERENCES scopes (id),"
	" seq bigint NOT NULL,"
	" tx_last_seq bigint NOT NULL,"
	" op_id uuid, device_id uuid,"
	" user_id uuid,"
	" entity smallint NOT NULL,"
	" entity_id uuid NOT NULL,"
	" kind smallint NOT NULL,"
	" fields jsonb NOT NULL,"
	" fhlc jsonb NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (scope_id, seq))",
	"CREATE TABLE applied_ops ("
	" op_id uuid PRIMARY KEY,"
	" device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
	" client_seq bigint NOT NULL,"
	" status smallint NOT NULL,"
	" result jsonb NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())",
	"CREATE INDEX applied_ops_dev ON applied_ops (device_id, client_seq)",
	"CREATE TABLE conflicts ("
	" id bigserial PRIMARY KEY,"
	" scope_id uuid NOT NULL REFERENCES scopes (id),"
	" entity smallint NOT NULL, entity_id uuid NOT NULL,"
	" field text NOT NULL, loser jsonb, loser_hlc text, winner_hlc text,"
	" created_at timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE purged_ids ("
	" id uuid PRIMARY KEY,"
	" scope_id uuid NOT NULL,"
	" purged_at timestamptz NOT NULL)",

	/* Notifications (DESIGN.md "Notifications"): written in the same
	 * transaction as the change, claimed by `tock-server worker`. */
	"CREATE TABLE notifications ("
	" id bigserial PRIMARY KEY,"
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,"
	" kind text NOT NULL CHECK (kind IN ('assigned', 'comment', 'due')),"
	" entity smallint, entity_id uuid,"
	" payload jsonb NOT NULL DEFAULT '{}',"
	" status text NOT NULL DEFAULT 'pending' CHECK (status IN"
	"  ('pending', 'sending', 'sent', 'failed', 'skipped')),"
	" attempts integer NOT NULL DEFAULT 0,"
	" next_attempt_at timestamptz NOT NULL DEFAULT now(),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" sent_at timestamptz, last_error text)",
	"CREATE INDEX notifications_due ON notifications (next_attempt_at)"
	" WHERE status = 'pending'",
	"CREATE TABLE notification_prefs ("
	" user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" kind text NOT NULL CHECK (kind IN ('assigned', 'comment', 'due')),"
	" enabled boolean NOT NULL,"
	" PRIMARY KEY (user_id, kind))",

	/* Security-definer helpers: they read as the owner, so policies may
	 * call them without recursing into memberships' own policies. */
	"CREATE FUNCTION tock_role(ws uuid) RETURNS text LANGUAGE sql STABLE"
	" SECURITY DEFINER SET search_path = public, pg_temp AS"
	" $$ SELECT role FROM memberships WHERE workspace_id = ws"
	" AND user_id = tock_uid() $$",
	"CREATE FUNCTION tock_is_member(ws uuid) RETURNS boolean LANGUAGE sql"
	" STABLE SECURITY DEFINER SET search_path = public, pg_temp AS"
	" $$ SELECT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ws"
	" AND user_id = tock_uid()) $$",
	"CREATE FUNCTION tock_create_workspace(ws uuid, ws_name text,"
	" is_personal boolean) RETURNS void LANGUAGE plpgsql"
	" SECURITY DEFINER SET search_path = public, pg_temp AS $$"
	" BEGIN"
	"  IF tock_uid() IS NULL THEN"
	"   RAISE EXCEPTION 'no user' USING ERRCODE = '42501';"
	"  END IF;"
	"  INSERT INTO scopes (id, kind) VALUES (ws, 1);"
	"  INSERT INTO workspaces (id, name, personal, created_by)"
	"   VALUES (ws, ws_name, is_personal, tock_uid());"
	"  INSERT INTO memberships (workspace_id, user_id, role)"
	"   VALUES (ws, tock_uid(), 'admin');"
	" END $$",
	/* Invitations of the current user's email become memberships. */
	"CREATE FUNCTION tock_accept_invitations() RETURNS TABLE"
	" (workspace_id uuid, role text) LANGUAGE sql"
	" SECURITY DEFINER SET search_path = public, pg_temp AS $$"
	" WITH inv AS (DELETE FROM invitations i USING users u"
	"  WHERE u.id = tock_uid() AND i.email = u.email"
	"  RETURNING i.workspace_id, i.role)"
	" INSERT INTO memberships (workspace_id, user_id, role)"
	" SELECT inv.workspace_id, tock_uid(), inv.role FROM inv"
	" ON CONFLICT DO NOTHING"
	" RETURNING memberships.workspace_id, memberships.role $$",
	"CREATE FUNCTION tock_invited(e citext) RETURNS boolean LANGUAGE sql"
	" STABLE SECURITY DEFINER SET search_path = public, pg_temp AS"
	" $$ SELECT EXISTS (SELECT 1 FROM invitations WHERE email = e) $$",

	/* JSON shapes of the REST answers, built where the data is. */
	"CREATE FUNCTION tock_user_json(u users) RETURNS json LANGUAGE sql"
	" STABLE AS $$ SELECT json_build_object('id', u.id, 'email', u.email,"
	" 'name', u.name) $$",
	"CREATE FUNCTION tock_task_json(t tasks) RETURNS json LANGUAGE sql"
	" STABLE AS $$ SELECT json_build_object("
	" 'id', t.id, 'title', t.title, 'status', t.status,"
	" 'created_at', tock_ts(t.created_at),"
	" 'assignee', (SELECT json_build_object('id', u.id, 'name', u.name)"
	"  FROM users u WHERE u.id = t.assignee_id),"
	" 'workspace_id', t.workspace_id, 'description', t.description,"
	" 'assignee_id', t.assignee_id, 'created_by', t.created_by,"
	" 'updated_at', tock_ts(t.updated_at), 'due_date', t.due_date,"
	" 'metadata', t.metadata, 'version', t.version) $$",
	"CREATE FUNCTION tock_entry_json(e time_entries) RETURNS json"
	" LANGUAGE sql STABLE AS $$ SELECT json_build_object("
	" 'id', e.id, 'task_id', e.task_id,"
	" 'start_time', tock_ts(e.start_time),"
	" 'is_active', e.end_time IS NULL,"
	" 'end_time', tock_ts(e.end_time), 'user_id', e.user_id,"
	" 'workspace_id', e.workspace_id, 'origin', e.origin,"
	" 'end_src', e.end_src, 'notes', e.notes,"
	" 'duration_minutes', floor(extract(epoch FROM"
	"  (coalesce(e.end_time, now()) - e.start_time)) / 60)::bigint,"
	" 'created_at', tock_ts(e.created_at), 'version', e.version) $$",
	"CREATE FUNCTION tock_comment_json(c comments) RETURNS json"
	" LANGUAGE sql STABLE AS $$ SELECT json_build_object("
	" 'id', c.id, 'task_id', c.task_id, 'author_id', c.author_id,"
	" 'author', (SELECT u.name FROM users u WHERE u.id = c.author_id),"
	" 'body', c.body, 'created_at', tock_ts(c.created_at)) $$",

	/* Row-level security on every workspace table. */
	"ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY workspaces_read ON workspaces FOR SELECT"
	" USING (tock_is_member(id))",
	"CREATE POLICY workspaces_admin ON workspaces FOR UPDATE"
	" USING (tock_role(id) = 'admin')",
	"ALTER TABLE scopes ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY scopes_read ON scopes FOR SELECT"
	" USING (tock_is_member(id) OR id = tock_uid())",
	"CREATE POLICY scopes_write ON scopes FOR UPDATE"
	" USING (tock_is_member(id) OR id = tock_uid())",
	"CREATE POLICY scopes_user ON scopes FOR INSERT"
	" WITH CHECK (kind = 2 AND id = tock_uid())",
	"ALTER TABLE memberships ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY memberships_read ON memberships FOR SELECT"
	" USING (tock_is_member(workspace_id))",
	"CREATE POLICY memberships_insert ON memberships FOR INSERT"
	" WITH CHECK (tock_role(workspace_id) = 'admin')",
	"CREATE POLICY memberships_update ON memberships FOR UPDATE"
	" USING (tock_role(workspace_id) = 'admin')",
	"CREATE POLICY memberships_delete ON memberships FOR DELETE"
	" USING (tock_role(workspace_id) = 'admin')",
	"ALTER TABLE invitations ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY invitations_admin ON invitations"
	" USING (tock_role(workspace_id) = 'admin')"
	" WITH CHECK (tock_role(workspace_id) = 'admin')",
	"ALTER TABLE tasks ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY tasks_read ON tasks FOR SELECT"
	" USING (tock_is_member(workspace_id))",
	"CREATE POLICY tasks_insert ON tasks FOR INSERT"
	" WITH CHECK (tock_is_member(workspace_id) AND created_by = tock_uid())",
	"CREATE POLICY tasks_update ON tasks FOR UPDATE"
	" USING (tock_role(workspace_id) IN ('admin', 'lead')"
	"  OR (tock_is_member(workspace_id) AND (created_by = tock_uid()"
	"  OR assignee_id = tock_uid())))"
	" WITH CHECK (tock_is_member(workspace_id))",
	"ALTER TABLE time_entries ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY time_entries_read ON time_entries FOR SELECT"
	" USING (tock_is_member(workspace_id) AND (user_id = tock_uid()"
	"  OR tock_role(workspace_id) IN ('admin', 'lead')))",
	"CREATE POLICY time_entries_insert ON time_entries FOR INSERT"
	" WITH CHECK (user_id = tock_uid() AND tock_is_member(workspace_id))",
	"CREATE POLICY time_entries_update ON time_entries FOR UPDATE"
	" USING (tock_is_member(workspace_id) AND (user_id = tock_uid()"
	"  OR tock_role(workspace_id) = 'admin'))",
	"ALTER TABLE comments ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY comments_read ON comments FOR SELECT"
	" USING (tock_is_member(workspace_id))",
	"CREATE POLICY comments_insert ON comments FOR INSERT"
	" WITH CHECK (author_id = tock_uid() AND tock_is_member(workspace_id))",
	"CREATE POLICY comments_update ON comments FOR UPDATE"
	" USING (tock_is_member(workspace_id) AND (author_id = tock_uid()"
	"  OR tock_role(workspace_id) = 'admin'))",
	"ALTER TABLE sync_log ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY sync_log_read ON sync_log FOR SELECT"
	" USING (tock_is_member(scope_id) OR scope_id = tock_uid())",
	"CREATE POLICY sync_log_insert ON sync_log FOR INSERT"
	" WITH CHECK (tock_is_member(scope_id) OR scope_id = tock_uid())",
	"ALTER TABLE conflicts ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY conflicts_scope ON conflicts"
	" USING (tock_is_member(scope_id) OR scope_id = tock_uid())",
	"ALTER TABLE notifications ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY notifications_own ON notifications FOR SELECT"
	" USING (user_id = tock_uid())",
	"CREATE POLICY notifications_insert ON notifications FOR INSERT"
	" WITH CHECK (workspace_id IS NOT NULL"
	"  AND tock_is_member(workspace_id))",
	"ALTER TABLE notification_prefs ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY notification_prefs_own ON notification_prefs"
	" USING (user_id = tock_uid()) WITH CHECK (user_id = tock_uid())",
	NULL,
};

/*
 * 2: what sync and notifications need beyond the first schema.
 *  - tock_recent_scopes: the fan-out's catch-up (fanout.c) asks which
 *    scopes moved lately; RLS hides scopes from a session that acts as
 *    nobody, so it reads through this security definer function.
 *  - indexes for snapshot pages of entries and comments by workspace.
 *  - notifications, queued by triggers: a change made over REST and one
 *    pushed by sync queue the same events in the same transaction, and no
 *    handler can forget one.  The actor is tock_uid(), the user the
 *    transaction acts as.
 */
static const char *const m2_sync_notify[] = {
	"CREATE FUNCTION tock_recent_scopes(secs integer) RETURNS TABLE"
	" (id uuid, last_seq bigint) LANGUAGE sql STABLE SECURITY DEFINER"
	" SET search_path = public, pg_temp AS"
	" $$ SELECT s.id, s.last_seq FROM scopes s"
	" WHERE s.updated_at > now() - make_interval(secs => secs) $$",
	"CREATE INDEX time_entries_ws ON time_entries (workspace_id, id)",
	"CREATE INDEX comments_ws ON comments (workspace_id, id)",
	/* A notification's id in the user scope's log (entity 8). */
	"CREATE FUNCTION tock_notification_uuid(nid bigint) RETURNS uuid"
	" LANGUAGE sql IMMUTABLE AS $$ SELECT ('00000000-0000-8000-8000-'"
	" || lpad(to_hex(nid), 12, '0'))::uuid $$",
	"CREATE UNIQUE INDEX notifications_due_once ON notifications"
	" (user_id, entity_id) WHERE kind = 'due'",
	"CREATE INDEX tasks_due ON tasks (due_date)"
	" WHERE assignee_id IS NOT NULL AND NOT deleted",
	/* Every kind is on until its user turns it off. */
	"CREATE FUNCTION tock_notify_on(u uuid, k text) RETURNS boolean"
	" LANGUAGE sql STABLE SECURITY DEFINER"
	" SET search_path = public, pg_temp AS"
	" $$ SELECT coalesce((SELECT enabled FROM notification_prefs"
	" WHERE user_id = u AND kind = k), true) $$",
	/* Queue one event for u (unless u turned kind k off) and put it in
	 * u's private scope's log, so tock inbox has it offline.  The log
	 * row takes the next seq of that scope under its row lock, as every
	 * writer does; callers lock recipients in uuid order. */
	"CREATE FUNCTION tock_notify_add(u uuid, ws uuid, k text, e smallint,"
	" eid uuid, p jsonb) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $$"
	" DECLARE nid bigint; s bigint; ms bigint; BEGIN"
	"  IF NOT tock_notify_on(u, k) THEN RETURN; END IF;"
	"  INSERT INTO notifications (user_id, workspace_id, kind, entity,"
	"   entity_id, payload) VALUES (u, ws, k, e, eid, p)"
	"   RETURNING id INTO nid;"
	"  UPDATE scopes SET last_seq = last_seq + 1, updated_at = now()"
	"   WHERE id = u RETURNING last_seq INTO s;"
	"  IF s IS NULL THEN RETURN; END IF;"
	"  ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;"
	"  INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id, entity,"
	"   entity_id, kind, fields, fhlc) VALUES (u, s, s, tock_uid(), 8,"
	"   tock_notification_uuid(nid), 1, p || jsonb_build_object('kind', k,"
	"   'created_at', ms), jsonb_build_object('kind',"
	"   lpad(to_hex(ms << 16), 16, '0') || '-0000000000000000'));"
	" END $$",
	"CREATE FUNCTION tock_actor_name() RETURNS text LANGUAGE sql STABLE"
	" SECURITY DEFINER SET search_path = public, pg_temp AS"
	" $$ SELECT coalesce((SELECT name FROM users WHERE id = tock_uid()),"
	" 'Someone') $$",
	/* Assigned to you by someone else (not by yourself). */
	"CREATE FUNCTION tock_tasks_notify() RETURNS trigger"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
	" AS $$ BEGIN"
	"  IF NEW.assignee_id IS NOT NULL AND NOT NEW.deleted"
	"   AND NEW.assignee_id IS DISTINCT FROM tock_uid()"
	"   AND (TG_OP = 'INSERT'"
	"    OR NEW.assignee_id IS DISTINCT FROM OLD.assignee_id) THEN"
	"   PERFORM tock_notify_add(NEW.assignee_id, NEW.workspace_id,"
	"    'assigned', 1::smallint, NEW.id, jsonb_build_object("
	"    'task_id', NEW.id, 'title', NEW.title, 'by', tock_actor_name(),"
	"    'workspace', (SELECT name FROM workspaces"
	"     WHERE id = NEW.workspace_id)));"
	"  END IF;"
	"  RETURN NULL;"
	" END $$",
	"CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE OF assignee_id"
	" ON tasks FOR EACH ROW EXECUTE FUNCTION tock_tasks_notify()",
	/* A comment: the task's creator and assignee hear of it, never the
	 * comment's own author. */
	"CREATE FUNCTION tock_comments_notify() RETURNS trigger"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
	" AS $$ DECLARE t tasks; r uuid; BEGIN"
	"  SELECT * INTO t FROM tasks WHERE id = NEW.task_id;"
	"  IF NOT FOUND OR NEW.deleted THEN RETURN NULL; END IF;"
	"  FOR r IN SELECT DISTINCT x FROM unnest(ARRAY[t.created_by,"
	"   t.assignee_id]) AS x WHERE x IS NOT NULL"
	"   AND x IS DISTINCT FROM NEW.author_id ORDER BY x LOOP"
	"   PERFORM tock_notify_add(r, NEW.workspace_id, 'comment',"
	"    3::smallint, NEW.id, jsonb_build_object('task_id', t.id,"
	"    'title', t.title, 'comment', NEW.body, 'by', coalesce((SELECT"
	"    name FROM users WHERE id = NEW.author_id), 'Someone'),"
	"    'workspace', (SELECT name FROM workspaces"
	"     WHERE id = NEW.workspace_id)));"
	"  END LOOP;"
	"  RETURN NULL;"
	" END $$",
	"CREATE TRIGGER comments_notify AFTER INSERT ON comments"
	" FOR EACH ROW EXECUTE FUNCTION tock_comments_notify()",
	/* The worker's three statements (notify.c): it connects as the
	 * application role, which RLS limits to one user's rows. */
	"CREATE FUNCTION tock_notify_claim() RETURNS TABLE (id bigint,"
	" kind text, attempts integer, email text, name text, payload jsonb)"
	" LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$"
	" WITH c AS (SELECT n.id FROM notifications n"
	"  WHERE n.status = 'pending' AND n.next_attempt_at <= now()"
	"  ORDER BY n.next_attempt_at, n.id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	" UPDATE notifications n SET attempts = n.attempts + 1 FROM c, users u"
	" WHERE n.id = c.id AND u.id = n.user_id"
	" RETURNING n.id, n.kind, n.attempts, u.email::text, u.name,"
	" n.payload $$",
	"CREATE FUNCTION tock_notify_finish(nid bigint, st text, why text,"
	" retry_ms bigint) RETURNS void LANGUAGE sql SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $$"
	" UPDATE notifications SET status = st, last_error = why,"
	" sent_at = CASE WHEN st = 'sent' THEN now() END,"
	" next_attempt_at = CASE WHEN st = 'pending'"
	"  THEN now() + make_interval(secs => retry_ms / 1000.0)"
	"  ELSE next_attempt_at END"
	" WHERE id = nid $$",
	/* Tasks due within a day, each notified once; several workers may
	 * scan, so the scan holds an advisory lock.  Answers the queue's
	 * length for the worker's metrics. */
	"CREATE FUNCTION tock_notify_due_scan() RETURNS bigint"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
	" AS $$ DECLARE t record; BEGIN"
	"  PERFORM pg_advisory_xact_lock(1953457003002);"
	"  FOR t IN SELECT k.id, k.assignee_id, k.workspace_id, k.title,"
	"   k.due_date, w.name FROM tasks k"
	"   JOIN workspaces w ON w.id = k.workspace_id"
	"   WHERE k.assignee_id IS NOT NULL AND NOT k.deleted"
	"   AND k.status IN ('todo', 'in_progress')"
	"   AND k.due_date <= (now() AT TIME ZONE 'UTC'"
	"    + interval '24 hours')::date"
	"   AND k.due_date >= (now() AT TIME ZONE 'UTC')::date"
	"   AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.kind = 'due'"
	"    AND n.user_id = k.assignee_id AND n.entity_id = k.id)"
	"   ORDER BY k.assignee_id LOOP"
	"   PERFORM tock_notify_add(t.assignee_id, t.workspace_id, 'due',"
	"    1::smallint, t.id, jsonb_build_object('task_id', t.id,"
	"    'title', t.title, 'due_date', t.due_date::text,"
	"    'workspace', t.name));"
	"  END LOOP;"
	"  RETURN (SELECT count(*) FROM notifications"
	"   WHERE status = 'pending');"
	" END $$",
	NULL,
};

/*
 * 3: the sync read path without per-row policy calls.  Under row-level
 * security every row a snapshot page or a pull reads called
 * tock_is_member() (a security definer function, never inlined), and the
 * statements' estimated cost put them under JIT compilation: a snapshot
 * ran at ~10,000 rows/s and a pull with nothing new took tens of ms.
 * These security definer functions check the membership once, then read
 * only that workspace's rows (members: only their own time entries), so
 * they are the policy for what they return; every other statement keeps
 * the policies.  jit is off for them (their work is small per call), and
 * their plans are generic: PL/pgSQL would otherwise replan the pull,
 * whose generic estimate looks dear, on every call.
 *  - tock_clock: a field's clock, or the row's earliest (creating) one.
 *  - tock_snapshot_rows: one keyset page, table by table in snapshot
 *    order, each an index range on (workspace_id, id); rows after the
 *    cursor's table start at the nil uuid, the cursor's table skips the
 *    cursor row itself (>= and <>, so a generic plan still uses the
 *    index).  Answers no rows to a non-member.
 *  - tock_pull: the whole pull answer (api_sync_pull.c), as before.
 */
static const char *const m3_sync_read[] = {
	"CREATE FUNCTION tock_fhlc_min(f jsonb) RETURNS jsonb LANGUAGE"
	" sql IMMUTABLE AS $$ SELECT to_jsonb(coalesce((SELECT min(v)"
	" FROM jsonb_each_text(f) x(k, v)),"
	" '0000000000000000-0000000000000000')) $$",
	"CREATE FUNCTION tock_clock(f jsonb, k text) RETURNS jsonb"
	" LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(f -> k,"
	" tock_fhlc_min(f)) $$",
	"CREATE FUNCTION tock_snapshot_rows(ws uuid, after_t integer,"
	" after_id uuid, n integer) RETURNS TABLE (tbl integer, rid"
	" uuid, rj json) LANGUAGE plpgsql STABLE SECURITY DEFINER SET"
	" search_path = public, pg_temp SET jit = off"
	" SET plan_cache_mode = force_generic_plan AS $$ DECLARE me"
	" uuid := tock_uid(); r text; lo uuid; ex uuid; k integer; got"
	" bigint; nil constant uuid :="
	" '00000000-0000-0000-0000-000000000000'; BEGIN SELECT m.role"
	" INTO r FROM memberships m WHERE m.workspace_id = ws AND"
	" m.user_id = me; IF r IS NULL OR n < 1 THEN RETURN; END IF; IF"
	" after_t < 0 THEN RETURN QUERY SELECT 0, w.id,"
	" json_build_object('e', 'workspace', 'eid', w.id, 'fields',"
	" json_build_object('name', w.name, 'personal', w.personal,"
	" 'created_by', w.created_by, 'deleted', false), 'fhlc',"
	" json_build_object('name', tock_clock(w.fhlc, 'name'),"
	" 'personal', tock_clock(w.fhlc, 'personal'), 'created_by',"
	" tock_clock(w.fhlc, 'created_by'), 'deleted',"
	" tock_clock(w.fhlc, 'deleted'))) FROM workspaces w WHERE w.id"
	" = ws; GET DIAGNOSTICS got = ROW_COUNT; n := n - got::integer;"
	" END IF; FOR k IN greatest(after_t, 1) .. 4 LOOP EXIT WHEN n <"
	" 1; IF k = after_t THEN lo := after_id; ex := after_id; ELSE"
	" lo := nil; ex := NULL; END IF; IF k = 1 THEN RETURN QUERY"
	" SELECT 1, m.user_id, json_build_object('e', 'membership',"
	" 'eid', m.user_id, 'fields', json_build_object('user_id',"
	" m.user_id, 'role', m.role, 'name', u.name, 'email', u.email,"
	" 'deleted', false), 'fhlc', json_build_object('user_id',"
	" tock_clock(m.fhlc, 'user_id'), 'role', tock_clock(m.fhlc,"
	" 'role'), 'name', tock_clock(m.fhlc, 'name'), 'email',"
	" tock_clock(m.fhlc, 'email'), 'deleted', tock_clock(m.fhlc,"
	" 'deleted'))) FROM memberships m JOIN users u ON u.id ="
	" m.user_id WHERE m.workspace_id = ws AND m.user_id >= lo AND"
	" m.user_id IS DISTINCT FROM ex ORDER BY m.user_id LIMIT n;"
	" ELSIF k = 2 THEN RETURN QUERY SELECT 2, t.id,"
	" json_build_object('e', 'task', 'eid', t.id, 'fields', CASE"
	" WHEN t.metadata = '{}' THEN a.f ELSE a.f || (SELECT"
	" jsonb_object_agg('metadata.' || mk, mv) FROM"
	" jsonb_each(t.metadata) x(mk, mv)) END, 'fhlc', CASE WHEN"
	" t.metadata = '{}' THEN a.c ELSE a.c || (SELECT"
	" jsonb_object_agg('metadata.' || mk, tock_clock(t.fhlc,"
	" 'metadata.' || mk)) FROM jsonb_object_keys(t.metadata) mk)"
	" END) FROM tasks t CROSS JOIN LATERAL (SELECT"
	" jsonb_build_object('workspace_id', t.workspace_id, 'title',"
	" t.title, 'description', t.description, 'status', t.status,"
	" 'assignee_id', t.assignee_id, 'created_by', t.created_by,"
	" 'created_at', tock_ms(t.created_at), 'updated_at',"
	" tock_ms(t.updated_at), 'due_date', t.due_date, 'deleted',"
	" false) AS f, jsonb_build_object('workspace_id',"
	" tock_clock(t.fhlc, 'workspace_id'), 'title',"
	" tock_clock(t.fhlc, 'title'), 'description',"
	" tock_clock(t.fhlc, 'description'), 'status',"
	" tock_clock(t.fhlc, 'status'), 'assignee_id',"
	" tock_clock(t.fhlc, 'assignee_id'), 'created_by',"
	" tock_clock(t.fhlc, 'created_by'), 'created_at',"
	" tock_clock(t.fhlc, 'created_at'), 'updated_at',"
	" tock_clock(t.fhlc, 'updated_at'), 'due_date',"
	" tock_clock(t.fhlc, 'due_date'), 'deleted', tock_clock(t.fhlc,"
	" 'deleted')) AS c) a WHERE t.workspace_id = ws AND t.id >= lo"
	" AND t.id IS DISTINCT FROM ex AND NOT t.deleted ORDER BY t.id"
	" LIMIT n; ELSIF k = 3 THEN RETURN QUERY SELECT 3, e.id,"
	" json_build_object('e', 'time_entry', 'eid', e.id, 'fields',"
	" json_build_object('workspace_id', e.workspace_id, 'user_id',"
	" e.user_id, 'task_id', e.task_id, 'origin', e.origin,"
	" 'start_time', tock_ms(e.start_time), 'end_time',"
	" tock_ms(e.end_time), 'end_src', e.end_src, 'notes', e.notes,"
	" 'deleted', false), 'fhlc', json_build_object('workspace_id',"
	" tock_clock(e.fhlc, 'workspace_id'), 'user_id',"
	" tock_clock(e.fhlc, 'user_id'), 'task_id', tock_clock(e.fhlc,"
	" 'task_id'), 'origin', tock_clock(e.fhlc, 'origin'),"
	" 'start_time', tock_clock(e.fhlc, 'start_time'), 'end_time',"
	" tock_clock(e.fhlc, 'end_time'), 'end_src', tock_clock(e.fhlc,"
	" 'end_src'), 'notes', tock_clock(e.fhlc, 'notes'), 'deleted',"
	" tock_clock(e.fhlc, 'deleted'))) FROM time_entries e WHERE"
	" e.workspace_id = ws AND e.id >= lo AND e.id IS DISTINCT FROM"
	" ex AND NOT e.deleted AND (r <> 'member' OR e.user_id = me)"
	" ORDER BY e.id LIMIT n; ELSE RETURN QUERY SELECT 4, c.id,"
	" json_build_object('e', 'comment', 'eid', c.id, 'fields',"
	" json_build_object('workspace_id', c.workspace_id, 'task_id',"
	" c.task_id, 'author_id', c.author_id, 'body', c.body,"
	" 'created_at', tock_ms(c.created_at), 'deleted', false),"
	" 'fhlc', json_build_object('workspace_id', tock_clock(c.fhlc,"
	" 'workspace_id'), 'task_id', tock_clock(c.fhlc, 'task_id'),"
	" 'author_id', tock_clock(c.fhlc, 'author_id'), 'body',"
	" tock_clock(c.fhlc, 'body'), 'created_at', tock_clock(c.fhlc,"
	" 'created_at'), 'deleted', tock_clock(c.fhlc, 'deleted')))"
	" FROM comments c WHERE c.workspace_id = ws AND c.id >= lo AND"
	" c.id IS DISTINCT FROM ex AND NOT c.deleted ORDER BY c.id"
	" LIMIT n; END IF; GET DIAGNOSTICS got = ROW_COUNT; n := n -"
	" got::integer; END LOOP; END $$",
	"CREATE FUNCTION tock_pull(p_req json, p_lim integer, p_dev"
	" uuid, p_one boolean) RETURNS text LANGUAGE plpgsql SECURITY"
	" DEFINER SET search_path = public, pg_temp SET jit = off"
	" SET plan_cache_mode = force_generic_plan AS $$"
	" BEGIN RETURN (WITH req AS ( SELECT r.ord, r.w, r.s::uuid AS"
	" s, r.c, r.u FROM ROWS FROM (json_to_recordset(p_req) AS (w"
	" text, s text, c bigint, u boolean)) WITH ORDINALITY AS r(w,"
	" s, c, u, ord)), st AS ( SELECT q.ord, q.w, q.s, q.c,"
	" sc.last_seq, sc.compacted_through, CASE WHEN q.u AND q.s ="
	" tock_uid() THEN 'admin' ELSE (SELECT m.role FROM memberships"
	" m  WHERE m.workspace_id = q.s AND m.user_id = tock_uid()) END"
	" AS role FROM req q LEFT JOIN scopes sc ON sc.id = q.s), pages"
	" AS ( SELECT st.ord, (SELECT max(x.tx_last_seq) FROM (SELECT"
	" l.tx_last_seq  FROM sync_log l WHERE l.scope_id = st.s AND"
	" l.seq > st.c  ORDER BY l.seq LIMIT p_lim) x) AS page_end FROM"
	" st WHERE st.role IS NOT NULL AND st.last_seq IS NOT NULL AND"
	" st.c >= st.compacted_through AND st.c <= st.last_seq), out AS"
	" ( SELECT st.ord, CASE WHEN st.role IS NULL OR st.last_seq IS"
	" NULL THEN json_build_object(  'id', st.w, 'reset',"
	" json_build_object('reason', 'access_revoked')) WHEN st.c <"
	" st.compacted_through THEN json_build_object('id', st.w, "
	" 'reset', json_build_object('reason', 'cursor_expired'), "
	" 'head', st.last_seq) WHEN st.c > st.last_seq THEN"
	" json_build_object('id', st.w,  'reset',"
	" json_build_object('reason', 'server_rewound'),  'head',"
	" st.last_seq) ELSE json_build_object('id', st.w, 'changes',"
	" coalesce((SELECT  json_agg(json_build_object('seq', l.seq,"
	" 'e',"
	" (ARRAY['task','time_entry','comment','workspace',"
	"'membership','user_state','conflict','notification'])[l.entity],"
	" 'eid', l.entity_id, 'kind',"
	" (ARRAY['create','set','delete','restore','purge','membership'])[l.kind],"
	"  'fields', l.fields, 'fhlc', l.fhlc, 'by', l.user_id) ORDER"
	" BY l.seq)  FROM sync_log l WHERE l.scope_id = st.s AND l.seq"
	" > st.c  AND l.seq <= p.page_end AND (l.entity <> 2 OR st.role"
	" <> 'member'  OR l.fields->>'user_id' = tock_uid()::text OR"
	" EXISTS (SELECT 1  FROM time_entries te WHERE te.id ="
	" l.entity_id  AND te.user_id = tock_uid()))), '[]'), "
	" 'next_cursor', coalesce(p.page_end, st.c), 'head',"
	" st.last_seq,  'has_more', coalesce(p.page_end, st.c) <"
	" st.last_seq) END AS j FROM st LEFT JOIN pages p ON p.ord ="
	" st.ord) SELECT CASE WHEN p_one THEN (SELECT"
	" (jsonb_build_object('v', 1) || o.j::jsonb)::text FROM out o"
	" ORDER BY o.ord LIMIT 1) ELSE json_build_object('v', 1,"
	" 'server_time', tock_ms(clock_timestamp()), 'applied_through',"
	" (SELECT d.last_client_seq FROM devices d WHERE d.id = p_dev"
	" AND d.user_id = tock_uid()), 'scopes', coalesce((SELECT"
	" json_agg(o.j ORDER BY o.ord) FROM out o), '[]'), 'available',"
	" coalesce((SELECT json_agg(a.j ORDER BY a.k0, a.k) FROM ("
	" SELECT 0 AS k0, w.id::text AS k, json_build_object('id',"
	" w.id, 'name', w.name, 'role', m.role, 'head', sc.last_seq) AS"
	" j FROM memberships m JOIN workspaces w ON w.id ="
	" m.workspace_id JOIN scopes sc ON sc.id = m.workspace_id WHERE"
	" m.user_id = tock_uid() UNION ALL SELECT 1, '',"
	" json_build_object('id', 'u:' || sc.id, 'head', sc.last_seq)"
	" FROM scopes sc WHERE sc.id = tock_uid()) a), '[]'))::text"
	" END); END $$",
	NULL,
};

/*
 * 4: policies that check membership once per statement.  tock_is_member()
 * and tock_role() are security definer functions, which PostgreSQL never
 * inlines, so a policy calling them ran one membership lookup per row: a
 * 500-op push paid ~1,500 of them, a count of 10,000 tasks 10,000.  The
 * policies now test the row's workspace against arrays of the caller's
 * workspaces (all, admin or lead, admin).  Each array comes from a
 * scalar sub-SELECT, which the planner runs once as an InitPlan; the
 * helpers reading memberships stay security definer so that memberships'
 * own policy does not recurse.  Same semantics: a NULL workspace or user
 * matches nothing, as before.  (The ::uuid[] makes ANY take the array,
 * not a subquery.)  Also: tock_ms() without numeric arithmetic, and
 * snapshot tasks as columns (api_sync_pull.c renders them).
 */
#define M4_MINE "= ANY ((SELECT tock_my_workspaces())::uuid[])"
#define M4_LEAD "= ANY ((SELECT tock_my_workspaces('{admin,lead}'))::uuid[])"
#define M4_ADMIN "= ANY ((SELECT tock_my_workspaces('{admin}'))::uuid[])"
#define M4_UID "(SELECT tock_uid())"
static const char *const m4_rls_initplans[] = {
	"CREATE FUNCTION tock_my_workspaces(roles text[] DEFAULT NULL)"
	" RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER"
	" SET search_path = public, pg_temp AS"
	" $$ SELECT coalesce(array_agg(workspace_id), '{}') FROM memberships"
	" WHERE user_id = tock_uid() AND (roles IS NULL OR role = ANY (roles))"
	" $$",
	"ALTER POLICY workspaces_read ON workspaces USING (id " M4_MINE ")",
	"ALTER POLICY workspaces_admin ON workspaces USING (id " M4_ADMIN ")",
	"ALTER POLICY scopes_read ON scopes"
	" USING (id " M4_MINE " OR id = " M4_UID ")",
	"ALTER POLICY scopes_write ON scopes"
	" USING (id " M4_MINE " OR id = " M4_UID ")",
	"ALTER POLICY memberships_read ON memberships"
	" USING (workspace_id " M4_MINE ")",
	"ALTER POLICY memberships_insert ON memberships"
	" WITH CHECK (workspace_id " M4_ADMIN ")",
	"ALTER POLICY memberships_update ON memberships"
	" USING (workspace_id " M4_ADMIN ")",
	"ALTER POLICY memberships_delete ON memberships"
	" USING (workspace_id " M4_ADMIN ")",
	"ALTER POLICY invitations_admin ON invitations"
	" USING (workspace_id " M4_ADMIN ")"
	" WITH CHECK (workspace_id " M4_ADMIN ")",
	"ALTER POLICY tasks_read ON tasks USING (workspace_id " M4_MINE ")",
	"ALTER POLICY tasks_insert ON tasks"
	" WITH CHECK (workspace_id " M4_MINE " AND created_by = " M4_UID ")",
	"ALTER POLICY tasks_update ON tasks"
	" USING (workspace_id " M4_LEAD " OR (workspace_id " M4_MINE
	"  AND (created_by = " M4_UID " OR assignee_id = " M4_UID ")))"
	" WITH CHECK (workspace_id " M4_MINE ")",
	"ALTER POLICY time_entries_read ON time_entries"
	" USING (workspace_id " M4_MINE " AND (user_id = " M4_UID
	"  OR workspace_id " M4_LEAD "))",
	"ALTER POLICY time_entries_insert ON time_entries"
	" WITH CHECK (user_id = " M4_UID " AND workspace_id " M4_MINE ")",
	"ALTER POLICY time_entries_update ON time_entries"
	" USING (workspace_id " M4_MINE " AND (user_id = " M4_UID
	"  OR workspace_id " M4_ADMIN "))",
	"ALTER POLICY comments_read ON comments"
	" USING (workspace_id " M4_MINE ")",
	"ALTER POLICY comments_insert ON comments"
	" WITH CHECK (author_id = " M4_UID " AND workspace_id " M4_MINE ")",
	"ALTER POLICY comments_update ON comments"
	" USING (workspace_id " M4_MINE " AND (author_id = " M4_UID
	"  OR workspace_id " M4_ADMIN "))",
	"ALTER POLICY sync_log_read ON sync_log"
	" USING (scope_id " M4_MINE " OR scope_id = " M4_UID ")",
	"ALTER POLICY sync_log_insert ON sync_log"
	" WITH CHECK (scope_id " M4_MINE " OR scope_id = " M4_UID ")",
	"ALTER POLICY conflicts_scope ON conflicts"
	" USING (scope_id " M4_MINE " OR scope_id = " M4_UID ")",
	"ALTER POLICY notifications_insert ON notifications"
	" WITH CHECK (workspace_id IS NOT NULL AND workspace_id " M4_MINE ")",
	/* A task list's head (api_tasks.c), the only query of a cache hit:
	 * one statement, no transaction to set the user in.  NULL for a
	 * non-member. */
	"CREATE FUNCTION tock_list_head(u uuid, ws uuid) RETURNS TABLE"
	" (role text, last_seq bigint) LANGUAGE sql STABLE SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $$ SELECT m.role, s.last_seq"
	" FROM memberships m JOIN scopes s ON s.id = m.workspace_id"
	" WHERE m.workspace_id = ws AND m.user_id = u $$",
	/* Epoch ms in float8 (exact: whole microseconds are below 2^53)
	 * instead of numeric, and STABLE like date_part so that it inlines. */
	"CREATE OR REPLACE FUNCTION tock_ms(t timestamptz) RETURNS bigint"
	" LANGUAGE sql STABLE STRICT AS $$ SELECT floor(round(date_part("
	"'epoch', t) * 1000000) / 1000)::bigint $$",
	/* Snapshot pages: tasks, nearly every row of a big workspace, come
	 * as plain columns that api_sync_pull.c renders: building ~900 bytes
	 * of JSON per row cost PostgreSQL ~30 us.  Rows come back in
	 * snapshot order, so the caller need not sort them. */
	"DROP FUNCTION tock_snapshot_rows(uuid, integer, uuid, integer)",
	"CREATE FUNCTION tock_snapshot_rows(ws uuid, after_t integer,"
	" after_id uuid, n integer) RETURNS TABLE (tbl integer, rid"
	" uuid, rj json, t_ws uuid, t_title text, t_descr text, t_status"
	" text, t_assignee uuid, t_creator uuid, t_created bigint,"
	" t_updated bigint, t_due json, t_meta jsonb, t_fhlc jsonb)"
	" LANGUAGE plpgsql STABLE SECURITY DEFINER SET"
	" search_path = public, pg_temp SET jit = off"
	" SET plan_cache_mode = force_generic_plan AS $$ DECLARE me"
	" uuid := tock_uid(); r text; lo uuid; ex uuid; k integer; got"
	" bigint; nil constant uuid :="
	" '00000000-0000-0000-0000-000000000000'; BEGIN SELECT m.role"
	" INTO r FROM memberships m WHERE m.workspace_id = ws AND"
	" m.user_id = me; IF r IS NULL OR n < 1 THEN RETURN; END IF; IF"
	" after_t < 0 THEN RETURN QUERY SELECT 0, w.id,"
	" json_build_object('e', 'workspace', 'eid', w.id, 'fields',"
	" json_build_object('name', w.name, 'personal', w.personal,"
	" 'created_by', w.created_by, 'deleted', false), 'fhlc',"
	" json_build_object('name', tock_clock(w.fhlc, 'name'),"
	" 'personal', tock_clock(w.fhlc, 'personal'), 'created_by',"
	" tock_clock(w.fhlc, 'created_by'), 'deleted',"
	" tock_clock(w.fhlc, 'deleted'))), NULL::uuid, NULL, NULL, NULL,"
	" NULL::uuid, NULL::uuid, NULL::bigint, NULL::bigint, NULL::json,"
	" NULL::jsonb, NULL::jsonb FROM workspaces w WHERE w.id = ws;"
	" GET DIAGNOSTICS got = ROW_COUNT; n := n - got::integer;"
	" END IF; FOR k IN greatest(after_t, 1) .. 4 LOOP EXIT WHEN n <"
	" 1; IF k = after_t THEN lo := after_id; ex := after_id; ELSE"
	" lo := nil; ex := NULL; END IF; IF k = 1 THEN RETURN QUERY"
	" SELECT 1, m.user_id, json_build_object('e', 'membership',"
	" 'eid', m.user_id, 'fields', json_build_object('user_id',"
	" m.user_id, 'role', m.role, 'name', u.name, 'email', u.email,"
	" 'deleted', false), 'fhlc', json_build_object('user_id',"
	" tock_clock(m.fhlc, 'user_id'), 'role', tock_clock(m.fhlc,"
	" 'role'), 'name', tock_clock(m.fhlc, 'name'), 'email',"
	" tock_clock(m.fhlc, 'email'), 'deleted', tock_clock(m.fhlc,"
	" 'deleted'))), NULL::uuid, NULL, NULL, NULL, NULL::uuid,"
	" NULL::uuid, NULL::bigint, NULL::bigint, NULL::json, NULL::jsonb,"
	" NULL::jsonb FROM memberships m JOIN users u ON u.id ="
	" m.user_id WHERE m.workspace_id = ws AND m.user_id >= lo AND"
	" m.user_id IS DISTINCT FROM ex ORDER BY m.user_id LIMIT n;"
	" ELSIF k = 2 THEN RETURN QUERY SELECT 2, t.id, NULL::json,"
	" t.workspace_id, t.title, t.description, t.status,"
	" t.assignee_id, t.created_by, tock_ms(t.created_at),"
	" tock_ms(t.updated_at), to_json(t.due_date), CASE WHEN"
	" t.metadata = '{}' THEN NULL ELSE (SELECT"
	" jsonb_object_agg('metadata.' || mk, mv) FROM"
	" jsonb_each(t.metadata) x(mk, mv)) END, t.fhlc"
	" FROM tasks t WHERE t.workspace_id = ws AND t.id >= lo"
	" AND t.id IS DISTINCT FROM ex AND NOT t.deleted ORDER BY t.id"
	" LIMIT n; ELSIF k = 3 THEN RETURN QUERY SELECT 3, e.id,"
	" json_build_object('e', 'time_entry', 'eid', e.id, 'fields',"
	" json_build_object('workspace_id', e.workspace_id, 'user_id',"
	" e.user_id, 'task_id', e.task_id, 'origin', e.origin,"
	" 'start_time', tock_ms(e.start_time), 'end_time',"
	" tock_ms(e.end_time), 'end_src', e.end_src, 'notes', e.notes,"
	" 'deleted', false), 'fhlc', json_build_object('workspace_id',"
	" tock_clock(e.fhlc, 'workspace_id'), 'user_id',"
	" tock_clock(e.fhlc, 'user_id'), 'task_id', tock_clock(e.fhlc,"
	" 'task_id'), 'origin', tock_clock(e.fhlc, 'origin'),"
	" 'start_time', tock_clock(e.fhlc, 'start_time'), 'end_time',"
	" tock_clock(e.fhlc, 'end_time'), 'end_src', tock_clock(e.fhlc,"
	" 'end_src'), 'notes', tock_clock(e.fhlc, 'notes'), 'deleted',"
	" tock_clock(e.fhlc, 'deleted'))), NULL::uuid, NULL, NULL, NULL,"
	" NULL::uuid, NULL::uuid, NULL::bigint, NULL::bigint, NULL::json,"
	" NULL::jsonb, NULL::jsonb FROM time_entries e WHERE"
	" e.workspace_id = ws AND e.id >= lo AND e.id IS DISTINCT FROM"
	" ex AND NOT e.deleted AND (r <> 'member' OR e.user_id = me)"
	" ORDER BY e.id LIMIT n; ELSE RETURN QUERY SELECT 4, c.id,"
	" json_build_object('e', 'comment', 'eid', c.id, 'fields',"
	" json_build_object('workspace_id', c.workspace_id, 'task_id',"
	" c.task_id, 'author_id', c.author_id, 'body', c.body,"
	" 'created_at', tock_ms(c.created_at), 'deleted', false),"
	" 'fhlc', json_build_object('workspace_id', tock_clock(c.fhlc,"
	" 'workspace_id'), 'task_id', tock_clock(c.fhlc, 'task_id'),"
	" 'author_id', tock_clock(c.fhlc, 'author_id'), 'body',"
	" tock_clock(c.fhlc, 'body'), 'created_at', tock_clock(c.fhlc,"
	" 'created_at'), 'deleted', tock_clock(c.fhlc, 'deleted'))),"
	" NULL::uuid, NULL, NULL, NULL, NULL::uuid, NULL::uuid,"
	" NULL::bigint, NULL::bigint, NULL::json, NULL::jsonb, NULL::jsonb"
	" FROM comments c WHERE c.workspace_id = ws AND c.id >= lo AND"
	" c.id IS DISTINCT FROM ex AND NOT c.deleted ORDER BY c.id"
	" LIMIT n; END IF; GET DIAGNOSTICS got = ROW_COUNT; n := n -"
	" got::integer; END LOOP; END $$",
	NULL,
};

static const struct migration {
	int version;
	const char *name;
	const char *const *stmts;
} migrations[] = {
	{ 1, "initial schema", m1_initial },
	{ 2, "sync catch-up and notifications", m2_sync_notify },
	{ 3, "sync reads through security definer functions", m3_sync_read },
	{ 4, "policies checked once per statement, snapshot tasks as columns",
	    m4_rls_initplans },
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Re-run after every migrate: idempotent, and covers tables a later
 * migration adds. */
static const char *const grants[] = {
	"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
	" TO tock_app",
	"REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM tock_app",
	"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO tock_app",
	NULL,
};

int
migrate_latest(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

static int
run_stmts(struct pg *pg, const char *const *stmts, struct tock_err *err)
{
	int rc;

	for (; *stmts != NULL; stmts++)
		if ((rc = pg_exec(pg, NULL, *stmts, 0, NULL, err)) != 0)
			return rc;
	return 0;
}

/* BEGIN and take the migration lock: concurrent migrates take turns. */
static int
begin_locked(struct pg *pg, struct tock_err *err)
{
	int rc;

	if ((rc = pg_begin(pg, NULL, err)) != 0)
		return rc;
	if ((rc = pg_query(pg, NULL, err, "SELECT pg_advisory_xact_lock($1)",
	    1, MIGRATE_LOCK)) != 0)
		pg_rollback(pg);
	return rc;
}

int
migrate_run(struct pg *pg, int *applied, struct tock_err *err)
{
	struct pg_res *res = NULL;
	char version[16];
	int i, rc, done;

	*applied = 0;
	/* Held for the whole run, so that of two concurrent migrates one
	 * applies every pending migration and the other none (the per-
	 * transaction lock alone let them take turns migration by
	 * migration); the session's end releases it. */
	if ((rc = pg_query(pg, NULL, err, "SELECT pg_advisory_lock($1)", 1,
	    MIGRATE_LOCK)) != 0)
		return rc;
	if ((rc = begin_locked(pg, err)) != 0)
		return rc;
	if ((rc = pg_query(pg, NULL, err,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0)) != 0 ||
	    (rc = pg_commit(pg, err)) != 0)
		goto fail;

	for (i = 0; i < NMIGRATIONS; i++) {
		snprintf(version, sizeof version, "%d", migrations[i].version);
		if ((rc = begin_locked(pg, err)) != 0)
			return rc;
		if ((rc = pg_query(pg, &res, err,
		    "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
		    version)) != 0)
			goto fail;
		done = pg_nrows(res) > 0;
		pg_res_free(res);
		res = NULL;
		if (done) {
			if ((rc = pg_commit(pg, err)) != 0)
				goto fail;
			continue;
		}
		if ((rc = run_stmts(pg, migrations[i].stmts, err)) != 0 ||
		    (rc = pg_query(pg, NULL, err,
		    "INSERT INTO schema_migrations (version, name)"
		    " VALUES ($1, $2)", 2, version, migrations[i].name)) != 0 ||
		    (rc = pg_commit(pg, err)) != 0) {
			tock_err_set(err, rc, "migration %d (%s): %s",
			    migrations[i].version, migrations[i].name,
			    err != NULL ? err->msg : "failed");
			goto fail;
		}
		log_info("applied migration %d: %s", migrations[i].version,
		    migrations[i].name);
		(*applied)++;
	}

	if ((rc = begin_locked(pg, err)) != 0)
		return rc;
	if ((rc = run_stmts(pg, grants, err)) != 0 ||
	    (rc = pg_commit(pg, err)) != 0)
		goto fail;
	return 0;
fail:
	pg_res_free(res);
	pg_rollback(pg);
	return rc;
}

int
migrate_check_serve(struct pg *pg, struct tock_err *err)
{
	struct pg_res *res = NULL;
	const char *super, *bypass, *user, *ver, *owner;
	int rc, v;

	rc = pg_query(pg, &res, err,
	    "SELECT r.rolsuper, r.rolbypassrls, current_user,"
	    " (SELECT coalesce(max(version), 0) FROM schema_migrations),"
	    " EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public'"
	    "  AND tablename = 'tasks' AND tableowner = current_user)"
	    " FROM pg_roles r WHERE r.rolname = current_user", 0);
	if (rc != 0) {
		if (strcmp(pg_sqlstate(pg), "42P01") == 0)
			return tock_err_set(err, TOCK_EINVAL, "the database "
			    "has no tock schema: run 'tock-server migrate'");
		return rc;
	}
	if (pg_nrows(res) != 1) {
		pg_res_free(res);
		return tock_err_set(err, TOCK_ERR, "cannot read the role");
	}
	super = pg_value(res, 0, 0);
	bypass = pg_value(res, 0, 1);
	user = pg_value(res, 0, 2);
	ver = pg_value(res, 0, 3);
	owner = pg_value(res, 0, 4);
	v = ver != NULL ? atoi(ver) : 0;
	if (v < migrate_latest())
		rc = tock_err_set(err, TOCK_EINVAL, "the database schema is at "
		    "version %d, this server needs %d: run 'tock-server "
		    "migrate'", v, migrate_latest());
	else if (v > migrate_latest())
		rc = tock_err_set(err, TOCK_EINVAL, "the database schema "
		    "(version %d) is newer than this server (%d): upgrade "
		    "tock-server", v, migrate_latest());
	else if ((super != NULL && strcmp(super, "t") == 0) ||
	    (bypass != NULL && strcmp(bypass, "t") == 0) ||
	    (owner != NULL && strcmp(owner, "t") == 0))
		rc = tock_err_set(err, TOCK_EINVAL, "refusing to serve as "
		    "role '%s': it owns the tables or bypasses row-level "
		    "security; connect as a member of tock_app (see "
		    "tock-server(8))", user != NULL ? user : "?");
	pg_res_free(res);
	return rc;
}
