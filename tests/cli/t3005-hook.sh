#!/bin/sh
# t3005-hook: tock hook install/uninstall and the hooks themselves, in real
# temporary git repositories: a linked branch's checkout starts its timer,
# commits get the Tock-Task trailer (once, as a trailer, never on merges),
# existing user hooks are chained and keep their exit status, uninstall
# restores the hooks directory byte for byte; --repo, core.hooksPath,
# worktrees, and a tock that fails or is gone never fails git.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

command -v git >/dev/null 2>&1 || { echo "t3005-hook: git is required" >&2; exit 1; }

# git must see only the repositories made here, with no user settings.
export GIT_CEILING_DIRECTORIES="$TMP" GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_EDITOR EDITOR VISUAL
export GIT_EDITOR=false		# any unexpected editor aborts loudly

# mkrepo DIR: a repository with one commit on main.
mkrepo() {
	git -c init.defaultBranch=main init -q "$1" &&
	git -C "$1" config user.name "Tess Ter" &&
	git -C "$1" config user.email tess@example.com &&
	git -C "$1" commit -q --allow-empty -m "Initial commit"
}

# snapshot DIR: mode, name and checksum of every file in a hooks directory.
snapshot() {
	(cd "$1" && for f in * .[!.]*; do
		[ -e "$f" ] || continue
		printf '%s %s %s\n' "$(stat -c %a "$f")" "$f" \
		    "$(sha256sum <"$f" | cut -c1-16)"
	done)
}

# genv [VAR=VALUE]... CMD...: run CMD (git) in the current directory with
# the environment changed; stderr in $GERR, exit status in $GRC.
genv() {
	COUNT=$((COUNT + 1))
	env "$@" >"$TMP/gout" 2>"$TMP/gerr"
	GRC=$?
	GERR=$(cat "$TMP/gerr")
}

gitq() {
	genv git "$@"
}

# msg: the message of HEAD.
msg() {
	git log -1 --format=%B
}

trailers() {
	git log -1 --format='%(trailers:key=Tock-Task,valueonly,separator=%x2C)'
}

# --- not a git repository ---------------------------------------------------
mkdir -p "$TMP/plain"
cd "$TMP/plain"
run hook install
expect_rc 1 "install outside a repository"
expect_err "tock: not in a git repository (use --repo DIR)" \
    "install outside a repository: message"
expect_out "" "install outside a repository: stdout"
run hook install --repo "$TMP/plain"
expect_rc 1 "install --repo of a plain directory"
expect_err "tock: '$TMP/plain' is not a git repository" \
    "install --repo of a plain directory: message"
run hook uninstall --repo "$TMP/nowhere"
expect_rc 1 "uninstall --repo of a missing directory"
expect_err "tock: cannot use '$TMP/nowhere': No such file or directory" \
    "missing directory: message"
run hook
expect_rc 2 "hook without a subcommand"
run hook frobnicate
expect_rc 2 "hook with an unknown subcommand"
run hook --help
expect_rc 0 "hook --help"
expect_match "^usage: tock hook install\|uninstall \[--repo DIR\]" "hook --help"

# --- install next to existing user hooks ------------------------------------
REPO="$TMP/repo"
mkrepo "$REPO"
cd "$REPO"
HOOKS="$REPO/.git/hooks"
cat >"$HOOKS/post-checkout" <<EOF
#!/bin/sh
echo "post-checkout \$*" >>"$TMP/user-marker"
EOF
cat >"$HOOKS/prepare-commit-msg" <<EOF
#!/bin/sh
# The user's own hook: leaves a mark, fails when asked to.
echo "prepare-commit-msg \$2" >>"$TMP/user-marker"
[ ! -e "$TMP/fail-user-hook" ] || exit 7
EOF
chmod 755 "$HOOKS/post-checkout"
chmod 700 "$HOOKS/prepare-commit-msg"
BEFORE=$(snapshot "$HOOKS")

run hook install
expect_rc 0 "install"
expect_err "" "install stderr"
expect_out "Hooks directory: $HOOKS
  installed post-checkout (your hook, now post-checkout.tock-chained, runs first)
  installed prepare-commit-msg (your hook, now prepare-commit-msg.tock-chained, runs first)
  installed commit-msg" "install output"
for h in post-checkout prepare-commit-msg commit-msg; do
	check "$h is installed and executable" [ -f "$HOOKS/$h" -a -x "$HOOKS/$h" ]
	check "$h carries the marker" grep -q '^# installed by tock hook install' "$HOOKS/$h"
	check "$h calls this tock" grep -qF "t='$TOCK'" "$HOOKS/$h"
	check "$h is POSIX sh" sh -n "$HOOKS/$h"
done
check "no commit-msg was chained" [ ! -e "$HOOKS/commit-msg.tock-chained" ]
check "the user's hooks are kept unchanged as .tock-chained" [ "$(snapshot "$HOOKS" |
    grep tock-chained | sed 's/\.tock-chained//')" = "$(printf '%s\n' "$BEFORE" |
    grep -v sample)" ]

# Installing again changes nothing but our own scripts.
AFTER1=$(snapshot "$HOOKS")
run hook install
expect_rc 0 "install again"
expect_out "Hooks directory: $HOOKS
  updated post-checkout
  updated prepare-commit-msg
  updated commit-msg" "install again: output"
check "install is idempotent" [ "$(snapshot "$HOOKS")" = "$AFTER1" ]

run --json hook install
expect_rc 0 "install --json"
expect_json "d == {'hooks_dir': '$HOOKS', 'hooks': [
    {'name': 'post-checkout', 'action': 'updated'},
    {'name': 'prepare-commit-msg', 'action': 'updated'},
    {'name': 'commit-msg', 'action': 'updated'}]}" "install --json"

# --- post-checkout: a linked branch starts its task's timer -----------------
run add "Login" --branch feature/login
run add "Other work" --branch other
run add "Unlinked"
expect_rc 0 "setup tasks"
LOGIN=$(sql "SELECT substr(id, 1, 13) FROM tasks WHERE num = 1")
OTHER=$(sql "SELECT substr(id, 1, 13) FROM tasks WHERE num = 2")

: >"$TMP/user-marker"
gitq checkout -b feature/login
check "checkout -b succeeds" [ "$GRC" = 0 ]
check "the hook says what it started ($GERR)" [ "$(printf '%s\n' "$GERR" |
    grep '^tock:')" = "tock: tracking 'Login' (task 1) on branch feature/login" ]
run status --format '%i %t'
expect_rc 0 "status after checking out a linked branch"
expect_out "1 Login" "the linked task is running"
check "the chained user post-checkout ran with git's arguments" \
    grep -q "^post-checkout [0-9a-f]\{40\} [0-9a-f]\{40\} 1\$" "$TMP/user-marker"
expect_sql "SELECT count(*) FROM time_entries" "1" "one entry"

# An unlinked branch leaves the timer alone; coming back does not split it.
gitq checkout -q main
run status --format '%t'
expect_out "Login" "an unlinked branch keeps the timer"
gitq checkout -q feature/login
check "checkout of the running task's branch is quiet" [ -z "$GERR" ]
expect_sql "SELECT count(*) FROM time_entries" "1" \
    "checking out the running task's branch again adds no entry"

gitq checkout -q -b other
run status --format '%t'
expect_out "Other work" "another linked branch switches the timer"
expect_sql "SELECT count(*), count(end_time) FROM time_entries" "2|1" \
    "the previous timer stopped"
gitq checkout -q feature/login
run status --format '%t'
expect_out "Login" "back to the first branch"

# File checkouts and detached HEADs do nothing.
echo one >file.txt
gitq add file.txt
gitq commit -q -m "Add file"
echo changed >file.txt
N=$(sql "SELECT count(*) FROM time_entries")
gitq checkout -- file.txt
check "file checkout succeeds" [ "$GRC" = 0 ]
gitq checkout -q --detach HEAD
check "detached checkout succeeds" [ "$GRC" = 0 ]
expect_sql "SELECT count(*) FROM time_entries" "$N" "no new entry for files or detached HEAD"
gitq checkout -q feature/login

# A branch linked by tock start --branch, and a link to a closed task.
run start "Quick fix" --branch hotfix
run done 4
gitq checkout -q -b hotfix
run status
expect_rc 1 "a done task's branch starts nothing"
gitq checkout -q feature/login
run status --format '%t'
expect_out "Login" "setup: Login runs"

# --- prepare-commit-msg: the trailer ----------------------------------------
echo two >>file.txt
gitq add file.txt
gitq commit -q -m "Add login form"
check "commit succeeds" [ "$GRC" = 0 ]
COUNT=$((COUNT + 1))
[ "$(msg)" = "Add login form

Tock-Task: $LOGIN Login" ] || fail "commit -m message: '$(msg)'"
COUNT=$((COUNT + 1))
[ "$(trailers)" = "$LOGIN Login" ] || fail "git parses the trailer: '$(trailers)'"
check "the chained user prepare-commit-msg ran" grep -q "^prepare-commit-msg message" "$TMP/user-marker"

gitq commit -q --amend --no-edit
check "amend succeeds" [ "$GRC" = 0 ]
COUNT=$((COUNT + 1))
[ "$(msg | grep -c '^Tock-Task:')" = 1 ] || fail "amend duplicated the trailer: '$(msg)'"
gitq commit -q --amend -m "Add login form" -m "With a body."
COUNT=$((COUNT + 1))
[ "$(msg)" = "Add login form

With a body.

Tock-Task: $LOGIN Login" ] || fail "amend -m: '$(msg)'"

# An existing trailer block is extended, not split.
echo three >>file.txt
gitq add file.txt
gitq commit -q -s -m "Sign it"
COUNT=$((COUNT + 1))
[ "$(msg)" = "Sign it

Signed-off-by: Tess Ter <tess@example.com>
Tock-Task: $LOGIN Login" ] || fail "trailer block: '$(msg)'"
# A subject that looks like a trailer is still a subject.
echo four >>file.txt
gitq add file.txt
gitq commit -q -m "Fix: the login"
COUNT=$((COUNT + 1))
[ "$(msg)" = "Fix: the login

Tock-Task: $LOGIN Login" ] || fail "trailer-like subject: '$(msg)'"

# With an editor: the trailer appears once a message is written ...
cat >"$TMP/edit-subject" <<'EOF'
#!/bin/sh
sed -i '1s/^$/Written in the editor/' "$1"
EOF
cat >"$TMP/edit-drop" <<'EOF'
#!/bin/sh
sed -i -e '1s/^$/Without the trailer/' -e '/^# Tock-Task: /d' "$1"
EOF
chmod +x "$TMP/edit-subject" "$TMP/edit-drop"
echo five >>file.txt
gitq add file.txt
genv GIT_EDITOR="$TMP/edit-subject" git commit -q
check "editor commit succeeds" [ "$GRC" = 0 ]
COUNT=$((COUNT + 1))
[ "$(msg)" = "Written in the editor

Tock-Task: $LOGIN Login" ] || fail "editor commit: '$(msg)'"
# ... an untouched empty message still aborts the commit ...
HEAD0=$(git rev-parse HEAD)
echo six >>file.txt
gitq add file.txt
genv GIT_EDITOR=true git commit -q
check "an empty edited message still aborts" [ "$GRC" != 0 ]
check "... leaving HEAD alone" [ "$(git rev-parse HEAD)" = "$HEAD0" ]
# ... and deleting the pending line leaves the trailer out.
genv GIT_EDITOR="$TMP/edit-drop" git commit -q
COUNT=$((COUNT + 1))
[ "$(msg)" = "Without the trailer" ] || fail "deleted pending trailer: '$(msg)'"

# A failing user prepare-commit-msg still aborts the commit.
HEAD0=$(git rev-parse HEAD)
echo seven >>file.txt
gitq add file.txt
touch "$TMP/fail-user-hook"
gitq commit -q -m "Must not happen"
check "a failing user hook aborts the commit" [ "$GRC" != 0 ]
check "... HEAD unchanged" [ "$(git rev-parse HEAD)" = "$HEAD0" ]
rm "$TMP/fail-user-hook"
gitq commit -q -m "Seven"
check "the commit goes through once the user hook passes" [ "$GRC" = 0 ]

# Merges carry no trailer: their commits have their own.
gitq checkout -q main
gitq merge -q --no-ff -m "Merge login" feature/login
check "merge succeeds" [ "$GRC" = 0 ]
COUNT=$((COUNT + 1))
[ "$(msg)" = "Merge login" ] || fail "merge commit message: '$(msg)'"
gitq checkout -q feature/login

# No running timer: no trailer.
run stop
gitq commit -q --allow-empty -m "Untracked change"
check "commit with no timer succeeds" [ "$GRC" = 0 ]
COUNT=$((COUNT + 1))
[ "$(msg)" = "Untracked change" ] || fail "no timer, no trailer: '$(msg)'"

# --- tock failing or gone never fails git -----------------------------------
run start 1
echo eight >>file.txt
gitq add file.txt
genv TOCK_DB="$TMP" git commit -q -m "Database unusable"
check "commit succeeds when tock fails" [ "$GRC" = 0 ]
genv TOCK_DB="$TMP" git checkout -q other
check "checkout succeeds when tock fails" [ "$GRC" = 0 ]
gitq checkout -q feature/login

mkdir -p "$TMP/bin"
cp "$TOCK" "$TMP/bin/tock"
"$TMP/bin/tock" hook install >/dev/null
check "the hook names the copy that installed it" grep -qF "t='$TMP/bin/tock'" "$HOOKS/post-checkout"
rm "$TMP/bin/tock"
# Not in PATH either.
genv PATH=/usr/bin:/bin git checkout -q other
check "checkout succeeds with tock gone" [ "$GRC" = 0 ]
check "... and says nothing about it" [ -z "$GERR" ]
genv PATH=/usr/bin:/bin git commit -q --allow-empty -m "tock is gone"
check "commit succeeds with tock gone" [ "$GRC" = 0 ]
gitq checkout -q feature/login
run hook install
expect_rc 0 "install again"

# --- worktrees share the hooks; each has its own HEAD -----------------------
run add "Worktree task" --branch wt-branch
gitq worktree add -q "$TMP/wt" -b wt-branch
check "worktree add succeeds" [ "$GRC" = 0 ]
run status --format '%t'
expect_out "Worktree task" "worktree add of a linked branch starts its task"
WT=$(sql "SELECT substr(id, 1, 13) FROM tasks WHERE title = 'Worktree task'")
(cd "$TMP/wt" && git commit -q --allow-empty -m "In the worktree")
COUNT=$((COUNT + 1))
[ "$(git -C "$TMP/wt" log -1 --format=%B)" = "In the worktree

Tock-Task: $WT Worktree task" ] || fail "worktree commit trailer"
(cd "$TMP/wt" && git checkout -q other 2>/dev/null)
run status --format '%t'
expect_out "Other work" "checkout inside a worktree reads the worktree's HEAD"
(cd "$TMP/wt" && git checkout -q wt-branch 2>/dev/null)
run status --format '%t'
expect_out "Worktree task" "... and back"

# --- uninstall restores exactly what was there -------------------------------
run hook uninstall
expect_rc 0 "uninstall"
expect_out "Hooks directory: $HOOKS
  removed post-checkout (your hook is back in place)
  removed prepare-commit-msg (your hook is back in place)
  removed commit-msg" "uninstall output"
check "uninstall restores the hooks directory" [ "$(snapshot "$HOOKS")" = "$BEFORE" ]
run hook uninstall
expect_rc 0 "uninstall again"
expect_out "Hooks directory: $HOOKS
  left post-checkout alone (not installed by tock)
  left prepare-commit-msg alone (not installed by tock)
  commit-msg was not installed" "uninstall again: nothing to do"
check "uninstall again changes nothing" [ "$(snapshot "$HOOKS")" = "$BEFORE" ]

# Someone else's hook that replaced ours is left alone.
run hook install
printf '#!/bin/sh\nexit 0\n' >"$HOOKS/commit-msg"
run hook uninstall
expect_out "Hooks directory: $HOOKS
  removed post-checkout (your hook is back in place)
  removed prepare-commit-msg (your hook is back in place)
  left commit-msg alone (not installed by tock)" "uninstall leaves a foreign hook"
rm "$HOOKS/commit-msg"
# A foreign hook and a leftover .tock-chained: install refuses, changes nothing.
printf '#!/bin/sh\nexit 0\n' >"$HOOKS/commit-msg"
printf '#!/bin/sh\nexit 0\n' >"$HOOKS/commit-msg.tock-chained"
S0=$(snapshot "$HOOKS")
run hook install
expect_rc 1 "install refuses to overwrite a .tock-chained file"
expect_err "tock: '$HOOKS/commit-msg' exists and so does '$HOOKS/commit-msg.tock-chained': move one of them away first" \
    "install refusal message"
check "a refused install changes nothing" [ "$(snapshot "$HOOKS")" = "$S0" ]
rm "$HOOKS/commit-msg" "$HOOKS/commit-msg.tock-chained"

# --- --repo from outside, and core.hooksPath ---------------------------------
R2="$TMP/repo2"
mkrepo "$R2"
cd "$TMP"
run hook install --repo "$R2"
expect_rc 0 "install --repo"
check "--repo installs into that repository" [ -x "$R2/.git/hooks/post-checkout" ]
run add "Second repo" --branch r2-branch
(cd "$R2" && git checkout -q -b r2-branch 2>/dev/null)
run status --format '%t'
expect_out "Second repo" "hooks installed with --repo run"
run hook uninstall --repo "$R2"
expect_rc 0 "uninstall --repo"
check "uninstall --repo removes them" [ ! -e "$R2/.git/hooks/post-checkout" ]

R3="$TMP/repo3"
mkrepo "$R3"
git -C "$R3" config core.hooksPath .githooks
cd "$R3"
run hook install
expect_rc 0 "install with core.hooksPath"
expect_match "^Hooks directory: $R3/.githooks\$" "core.hooksPath is used"
check "hooks go to core.hooksPath" [ -x "$R3/.githooks/post-checkout" ]
check "... not to .git/hooks" [ ! -e "$R3/.git/hooks/post-checkout" ]
run add "Hooks path" --branch hp-branch
gitq checkout -q -b hp-branch
run status --format '%t'
expect_out "Hooks path" "hooks in core.hooksPath run"
run hook uninstall
check "uninstall empties core.hooksPath" [ -z "$(ls -A "$R3/.githooks")" ]

finish
