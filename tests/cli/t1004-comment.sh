#!/bin/sh
# t1004-comment: tock comment with text, from stdin ("-"), --json, and
# what is refused.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

COMMENT_KEYS='["id", "task_id", "author_id", "author", "body", "created_at"]'
ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

run add "Review"
run add "Other"
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")

run comment 1 "Looks good"
expect_rc 0 "comment"
expect_out "Commented on task 1: Review" "comment output"
expect_err "" "comment stderr"
expect_sql "SELECT body, author_id = '$USER_ID', task_id = '$ID1' FROM comments" \
    "Looks good|1|1" "comment row"

# "-" reads the text from stdin; a trailing newline is not part of it.
COUNT=$((COUNT + 1))
printf 'Line one\nLine two\n' | "$TOCK" comment 1 - >"$TMP/out" 2>"$TMP/err"
RC=$?
OUT=$(cat "$TMP/out")
ERR=$(cat "$TMP/err")
expect_rc 0 "comment from stdin"
expect_out "Commented on task 1: Review" "comment from stdin output"
expect_sql "SELECT body FROM comments ORDER BY created_at DESC, id DESC LIMIT 1" \
    "Line one
Line two" "stdin text kept with its inner newline"
expect_sql "SELECT count(*) FROM comments WHERE body LIKE '%' || char(10)" "0" \
    "no trailing newline stored"

COUNT=$((COUNT + 1))
printf '\n\n' | "$TOCK" comment 1 - >"$TMP/out" 2>"$TMP/err"
RC=$?
ERR=$(cat "$TMP/err")
expect_rc 1 "empty stdin comment"
expect_err "tock: comment is empty" "empty stdin message"

COUNT=$((COUNT + 1))
"$TOCK" comment 1 - </dev/null >"$TMP/out" 2>"$TMP/err"
RC=$?
ERR=$(cat "$TMP/err")
expect_rc 1 "comment from /dev/null"
expect_err "tock: comment is empty" "comment from /dev/null message"

run comment 1 ""
expect_rc 1 "empty comment"
expect_err "tock: comment is empty" "empty comment message"
run comment 1 "  	 "
expect_rc 1 "blank comment"
expect_err "tock: comment is empty" "blank comment message"
run comment 1 "$(printf 'bad\377')"
expect_rc 1 "invalid UTF-8 comment"
expect_err "tock: comment is not valid UTF-8" "invalid UTF-8 comment message"
run comment 1
expect_rc 2 "comment without text"
case $ERR in
"tock: give a task and the text (quoted, or - for stdin)"*) ;;
*) fail "comment without text: stderr '$ERR'" ;;
esac
run comment 1 a b
expect_rc 2 "comment with two texts"
run comment 9 "Nobody"
expect_rc 3 "comment on an unknown task"
expect_err "tock: no open task number 9" "unknown task message"
expect_sql "SELECT count(*) FROM comments" "2" "refused comments are not stored"

# --json: the new comment.
run comment --json 2 "Machine readable"
expect_rc 0 "comment --json"
expect_json "list(d.keys()) == $COMMENT_KEYS" "comment --json keys"
expect_json "d['body'] == 'Machine readable' and d['author'] == 'tester'" \
    "comment --json body and author"
expect_json "d['task_id'] == '$(sql "SELECT id FROM tasks WHERE num = 2")'" \
    "comment --json task"
expect_json "d['author_id'] == '$USER_ID'" "comment --json author_id"
expect_json "__import__('re').match(r'$ISO_RE', d['created_at']) is not None" \
    "comment --json created_at"
CID=$(jsonq "d['id']")
expect_sql "SELECT body FROM comments WHERE id = '$CID'" "Machine readable" \
    "comment --json id is the row"
run --json comment 2 "Global flag"
expect_rc 0 "global --json comment"
expect_json "d['body'] == 'Global flag'" "global --json comment body"

# Comments on a closed task by its prefix; unicode and long text.
run done 2
run comment "$(sql "SELECT substr(id, 1, 23) FROM tasks WHERE title = 'Other'")" "Après coup ✓"
expect_rc 0 "comment on a done task by prefix"
expect_match "^Commented on task [0-9a-f]{8}-[0-9a-f]{4}: Other\$" \
    "a done task is named by its prefix"
LONG=$(python3 -c 'print("x" * 65536)')
run comment 1 "$LONG"
expect_rc 0 "a 64 KiB comment"
run comment 1 "${LONG}y"
expect_rc 1 "a comment over 64 KiB"
case $ERR in
"tock: comment is too long"*) ;;
*) fail "comment over 64 KiB: stderr '$ERR'" ;;
esac
COUNT=$((COUNT + 1))
python3 -c 'print("z" * 70000)' | "$TOCK" comment 1 - >"$TMP/out" 2>"$TMP/err"
RC=$?
ERR=$(cat "$TMP/err")
expect_rc 1 "a comment over 64 KiB from stdin"
case $ERR in
"tock: comment is too long"*) ;;
*) fail "comment over 64 KiB from stdin: stderr '$ERR'" ;;
esac
run show --json 1
expect_json "[len(c['body']) for c in d['comments']] == [10, 17, 65536]" \
    "show lists the task's comments oldest first"

finish
