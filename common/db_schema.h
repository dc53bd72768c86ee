/*
 * db_schema.h - the local SQLite schema, as ordered migrations.
 *
 * Included by db.c only.  Migration N takes user_version from N-1 to N and
 * runs in one transaction.  Never edit a migration that has shipped: add
 * the next one.  The sync tables are those of SYNC.md 3.3, with DESIGN.md's
 * start_time/end_time names for time entries.
 */
#ifndef TOCK_DB_SCHEMA_H
#define TOCK_DB_SCHEMA_H

static const char *const db_migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE sync_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)"
	"  WITHOUT ROWID;"
	"CREATE TABLE hlc_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  l INTEGER NOT NULL, c INTEGER NOT NULL, node TEXT NOT NULL);"
	"CREATE TABLE outbox ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  op_id TEXT NOT NULL UNIQUE,"
	"  scope TEXT NOT NULL,"
	"  entity TEXT NOT NULL,"
	"  entity_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  fields TEXT NOT NULL CHECK (json_valid(fields)),"
	"  base TEXT,"
	"  hlc TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','inflight')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX outbox_by_entity ON outbox(entity, entity_id, state);"
	"CREATE TABLE sync_cursor ("
	"  scope TEXT PRIMARY KEY,"
	"  cursor INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'snapshot'"
	"    CHECK (state IN ('snapshot','live','revoked')),"
	"  snap_token TEXT,"
	"  snap_gen INTEGER NOT NULL DEFAULT 0,"
	"  head INTEGER,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE conflicts ("
	"  id INTEGER PRIMARY KEY, entity TEXT, entity_id TEXT, field TEXT,"
	"  loser_value TEXT, loser_hlc TEXT, winner_hlc TEXT,"
	"  detected_at INTEGER, seen INTEGER DEFAULT 0);"
	"CREATE TABLE quarantine ("
	"  op_id TEXT PRIMARY KEY, scope TEXT, payload TEXT NOT NULL,"
	"  code TEXT NOT NULL, message TEXT, rejected_at INTEGER NOT NULL);"
	/* Data tables: each synced row has _fhlc, _seq and _gen. */
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
	"  email TEXT COLLATE NOCASE,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE workspaces ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE memberships ("
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  role TEXT NOT NULL CHECK (role IN ('admin','lead','member')),"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (workspace_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE tasks ("
	"  id TEXT PRIMARY KEY,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  num INTEGER UNIQUE,"		/* local only: short number */
	"  title TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL DEFAULT 'todo'"
	"    CHECK (status IN ('todo','in_progress','done','cancelled')),"
	"  assignee_id TEXT,"
	"  created_by TEXT,"
	"  created_at INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL DEFAULT 0,"
	"  due_date TEXT,"
	"  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tasks_open ON tasks(status, deleted);"
	"CREATE TABLE time_entries ("
	"  id TEXT PRIMARY KEY,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  user_id TEXT NOT NULL,"
	"  task_id TEXT REFERENCES tasks(id),"
	"  origin TEXT NOT NULL CHECK (origin IN ('timer','manual')),"
	"  start_time INTEGER NOT NULL,"
	"  end_time INTEGER,"
	"  end_src TEXT CHECK (end_src IN ('stop','edit','auto')),"
	"  duration_ms INTEGER GENERATED ALWAYS AS (end_time - start_time)"
	"    VIRTUAL,"
	"  notes TEXT NOT NULL DEFAULT '',"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0,"
	"  CHECK (end_time IS NULL OR end_time >= start_time));"
	"CREATE INDEX entries_by_user ON time_entries(user_id, start_time);"
	"CREATE INDEX entries_by_task ON time_entries(task_id, start_time);"
	/* The one-running-timer invariant, held by the database itself. */
	"CREATE UNIQUE INDEX one_running_timer ON time_entries(user_id)"
	"  WHERE end_time IS NULL AND deleted = 0;"
	"CREATE TABLE comments ("
	"  id TEXT PRIMARY KEY,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  task_id TEXT NOT NULL REFERENCES tasks(id),"
	"  author_id TEXT NOT NULL,"
	"  body TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL DEFAULT 0,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX comments_by_task ON comments(task_id, created_at);"
	"CREATE TABLE user_state ("
	"  user_id TEXT PRIMARY KEY, running_entry_id TEXT, running_hlc TEXT,"
	"  _fhlc TEXT NOT NULL DEFAULT '{}', _seq INTEGER NOT NULL DEFAULT 0,"
	"  _gen INTEGER NOT NULL DEFAULT 0);",

	/* 2: what tock import has brought in, so importing the same file
	 * again creates nothing (local only, never synced). */
	"CREATE TABLE import_map ("
	"  source TEXT NOT NULL,"		/* timewarrior, taskwarrior, ... */
	"  source_id TEXT NOT NULL,"		/* the record's id in the source */
	"  entity TEXT NOT NULL,"
	"  entity_id TEXT NOT NULL,"
	"  imported_at INTEGER NOT NULL,"
	"  PRIMARY KEY (source, source_id)) WITHOUT ROWID;",

	/* 3: tock report finds the entries overlapping a range by their end
	 * (end > since), which is selective for a recent range, where an index
	 * on start_time walks all the older history. */
	"CREATE INDEX entries_by_user_end ON time_entries(user_id, end_time);"
	"CREATE INDEX entries_by_end ON time_entries(end_time);",

	/* 4: sync.  A conflict learnt from a push result and again from the
	 * scope's log is one conflict: the index finds it, server_id is the
	 * log row's id.  The outbox by scope, for revocation. */
	"ALTER TABLE conflicts ADD COLUMN server_id TEXT;"
	"CREATE INDEX conflicts_by_entity ON conflicts(entity_id, field);"
	"CREATE INDEX outbox_by_scope ON outbox(scope);",

	/* 5: the user's notifications (tock inbox), pulled from the user's
	 * private scope; n is the local number tock inbox read takes, read
	 * is local only. */
	"CREATE TABLE notifications ("
	"  n INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),"
	"  created_at INTEGER NOT NULL,"
	"  read INTEGER NOT NULL DEFAULT 0,"
	"  _seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX notifications_unread ON notifications(read, n);",
};

#endif
