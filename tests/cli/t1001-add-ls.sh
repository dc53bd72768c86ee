#!/bin/sh
# t1001-add-ls: tock add (output, --json shape, validation) and tock ls
# (table, numbering, filters).
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

HEAD="  #  Status       Due         Title"
TASK_KEYS='["id", "num", "title", "description", "status", "assignee_id",
    "assignee", "created_by", "created_at", "updated_at", "due_date", "tags",
    "priority", "metadata", "deleted", "running", "workspace_id"]'
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# --- an empty replica ------------------------------------------------------
run ls
expect_rc 0 "ls on a new replica"
expect_out "$HEAD
0 tasks" "ls on a new replica"
run ls --json
expect_rc 0 "ls --json on a new replica"
expect_out "[]" "ls --json on a new replica"

# --- add -------------------------------------------------------------------
run add "Write tests"
expect_rc 0 "add"
expect_out "Added task 1: Write tests" "add output"
expect_err "" "add stderr"
run add "Fix bug" -d "It crashes" --due 2030-01-15 --tag cli --tag urgent \
    --priority high --meta foo=bar
expect_rc 0 "add with options"
expect_out "Added task 2: Fix bug" "add with options output"
run add --json "Third"
expect_rc 0 "add --json"
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
WS_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
expect_json "list(d.keys()) == $TASK_KEYS" "add --json: keys in documented order"
expect_json "__import__('re').match(r'$UUID_RE', d['id']) is not None" \
    "add --json: id is a UUIDv7"
expect_json "d['num'] == 3 and type(d['num']) is int" "add --json: num"
expect_json "d['title'] == 'Third' and d['description'] == ''" \
    "add --json: title, description"
expect_json "d['status'] == 'todo'" "add --json: status"
expect_json "d['assignee_id'] is None and d['assignee'] is None" \
    "add --json: no assignee"
expect_json "d['created_by'] == '$USER_ID'" "add --json: created_by"
expect_json "__import__('re').match(r'$ISO_RE', d['created_at']) is not None" \
    "add --json: created_at is ISO UTC"
expect_json "d['updated_at'] == d['created_at']" "add --json: updated_at"
expect_json "d['due_date'] is None and d['tags'] == [] and d['priority'] is None" \
    "add --json: due_date, tags, priority"
expect_json "d['metadata'] == {}" "add --json: metadata"
expect_json "d['deleted'] is False and d['running'] is False" \
    "add --json: deleted, running"
expect_json "d['workspace_id'] == '$WS_ID'" "add --json: workspace_id"
ID3=$(jsonq "d['id']")
expect_sql "SELECT num, title, status FROM tasks WHERE id = '$ID3'" \
    "3|Third|todo" "add --json: the row"
run --json add "Fourth"
expect_rc 0 "global --json add"
expect_json "list(d.keys()) == $TASK_KEYS and d['num'] == 4" "global --json add"

run show --json 2
expect_rc 0 "show --json of the task with options"
expect_json "d['description'] == 'It crashes'" "description stored"
expect_json "d['due_date'] == '2030-01-15'" "due_date stored"
expect_json "d['tags'] == ['cli', 'urgent']" "tags stored in order"
expect_json "d['priority'] == 'high'" "priority stored"
expect_json "d['metadata'] == {'priority': 'high', 'tags': ['cli', 'urgent'], 'foo': 'bar'}" \
    "metadata holds priority, tags and free keys"

# --- ls ----------------------------------------------------------------------
run ls
expect_rc 0 "ls"
expect_out "$HEAD
  1  todo                     Write tests
  2  todo         2030-01-15  Fix bug  +cli +urgent
  3  todo                     Third
  4  todo                     Fourth
4 tasks" "ls table"
expect_err "" "ls stderr"
case $OUT in *"$(printf '\033')"*) fail "ls prints escape sequences into a pipe" ;; esac
run ls --json
expect_rc 0 "ls --json"
expect_json "[t['num'] for t in d] == [1, 2, 3, 4]" "ls --json numbers"
expect_json "all(list(t.keys()) == $TASK_KEYS for t in d)" "ls --json shape"

run ls --tag cli
expect_rc 0 "ls --tag"
expect_out "$HEAD
  2  todo         2030-01-15  Fix bug  +cli +urgent
1 task" "ls --tag cli"
run ls --tag nosuch
expect_out "$HEAD
0 tasks" "ls --tag with no match"
run ls --due-before 2030-01-16
expect_out "$HEAD
  2  todo         2030-01-15  Fix bug  +cli +urgent
1 task" "ls --due-before the day after"
run ls --due-before 2030-01-15
expect_out "$HEAD
0 tasks" "ls --due-before is exclusive"
run ls --due-before nonsense
expect_rc 1 "ls --due-before with a bad date"
expect_err "tock: cannot parse time 'nonsense'" "ls --due-before bad date message"
run ls --status done
expect_rc 0 "ls --status done"
expect_out "$HEAD
0 tasks" "ls --status done with none done"
run ls --status bogus
expect_rc 1 "ls --status bogus"
expect_err "tock: invalid status 'bogus' (use todo, in_progress, done or cancelled)" \
    "ls --status bogus message"

# Closed and deleted tasks lose their number; ls shows them by id prefix.
run done 1
expect_rc 0 "done 1"
run rm 3
expect_rc 0 "rm 3"
ID1=$(sql "SELECT substr(id, 1, 13) FROM tasks WHERE title = 'Write tests'")
ID3P=$(echo "$ID3" | cut -c1-13)
run ls
expect_out "$HEAD
  2  todo         2030-01-15  Fix bug  +cli +urgent
  4  todo                     Fourth
2 tasks" "ls hides done and deleted tasks"
run ls --status done
expect_out "              #  Status       Due         Title
  $ID1  done                     Write tests
1 task" "ls --status done"
run ls --all
expect_out "              #  Status       Due         Title
              2  todo         2030-01-15  Fix bug  +cli +urgent
              4  todo                     Fourth
  $ID1  done                     Write tests
3 tasks" "ls --all"
run ls --deleted
expect_out "              #  Status       Due         Title
  $ID3P  todo                     Third
1 task" "ls --deleted"
run ls --status todo --status done
expect_out "              #  Status       Due         Title
              2  todo         2030-01-15  Fix bug  +cli +urgent
              4  todo                     Fourth
  $ID1  done                     Write tests
3 tasks" "ls with two --status"

# A new task takes the smallest free number.
run add "Reuses one"
expect_out "Added task 1: Reuses one" "freed number 1 is reused"
run add "Reuses three"
expect_out "Added task 3: Reuses three" "freed number 3 is reused"
run add "Five"
expect_out "Added task 5: Five" "then the next number"
expect_sql "SELECT count(*) FROM tasks WHERE num IS NOT NULL" "5" "open tasks numbered"
expect_sql "SELECT count(*) FROM tasks WHERE num IS NULL" "2" "closed tasks unnumbered"

# --- options -----------------------------------------------------------------
run add Dup --tag a --tag a --tag +b --json
expect_rc 0 "add with repeated tags"
expect_json "d['tags'] == ['a', 'b']" "tags are kept once, a leading + dropped"
run add "Mine" --assign me --json
expect_rc 0 "add --assign me"
expect_json "d['assignee_id'] == '$USER_ID' and d['assignee'] == 'tester'" \
    "assigned to the local user"
MINE=$(jsonq "d['num']")
run ls --mine
expect_out "$HEAD
  $MINE  todo                     Mine
1 task" "ls --mine"
run add "X" --assign nobody@example.com
expect_rc 3 "add --assign unknown user"
expect_err "tock: no user 'nobody@example.com' known here (members appear after 'tock sync')" \
    "unknown assignee message"
TOMORROW=$(date -d tomorrow +%F)
run add "Soon" --due tomorrow --json
expect_rc 0 "add --due tomorrow"
expect_json "d['due_date'] in ('$TOMORROW', '$(date -d tomorrow +%F)')" \
    "--due tomorrow is tomorrow's date"
run add "Late" --due "2030-02-01T23:30" --json
expect_json "d['due_date'] == '2030-02-01'" "--due date-time keeps the date"

N=$(sql "SELECT count(*) FROM tasks")

# --- validation: nothing is written -------------------------------------------
run add ""
expect_rc 1 "empty title"
expect_err "tock: title is empty" "empty title message"
expect_out "" "empty title stdout"
run add "   "
expect_rc 1 "blank title"
expect_err "tock: title is empty" "blank title message"
run add "$(printf 'a\tb')"
expect_rc 1 "title with a tab"
expect_err "tock: title contains a control character" "tab message"
run add "$(printf 'a\nb')"
expect_rc 1 "title with a newline"
expect_err "tock: title contains a control character" "newline message"
run add "$(printf 'a\033[31mb')"
expect_rc 1 "title with an escape sequence"
expect_err "tock: title contains a control character" "escape message"
run add "$(printf 'a\177b')"
expect_rc 1 "title with DEL"
run add "$(printf 'bad\377title')"
expect_rc 1 "invalid UTF-8 title"
expect_err "tock: title is not valid UTF-8" "invalid UTF-8 message"
run add "$(printf '\300\257')"
expect_rc 1 "overlong UTF-8 encoding"

T200=$(printf '%200s' '' | tr ' ' 'x')
run add "$T200"
expect_rc 0 "200-character ASCII title"
expect_out "Added task 10: $T200" "200-character title kept whole"
run add "${T200}y"
expect_rc 1 "201-character ASCII title"
expect_err "tock: title is too long (201 characters, at most 200)" \
    "201-character title message"
# Characters, not bytes: 200 two-byte characters are 400 bytes.
E200=$(python3 -c 'print("é" * 200)')
run add "$E200"
expect_rc 0 "200 two-byte characters"
expect_out "Added task 11: $E200" "200 two-byte characters output"
run add "${E200}é"
expect_rc 1 "201 two-byte characters"
expect_err "tock: title is too long (201 characters, at most 200)" \
    "201 two-byte characters message"
K200=$(python3 -c 'print("日" * 200)')
run add "$K200"
expect_rc 0 "200 three-byte characters"
run add "${K200}本"
expect_rc 1 "201 three-byte characters"
N=$((N + 3))

run add x --due tomorrowish
expect_rc 1 "invalid --due"
expect_err "tock: cannot parse time 'tomorrowish'" "invalid --due message"
run add x --due 2026-02-30
expect_rc 1 "impossible --due date"
expect_err "tock: invalid date '2026-02-30'" "impossible date message"
run add x --tag ""
expect_rc 1 "empty tag"
expect_err "tock: empty tag" "empty tag message"
run add x --tag "a b"
expect_rc 1 "tag with a blank"
expect_err "tock: tag 'a b' contains a blank, comma or control character" \
    "tag with a blank message"
run add x --tag a,b
expect_rc 1 "tag with a comma"
run add x --tag -x
expect_rc 1 "tag starting with -"
expect_err "tock: tag '-x' must not start with '-'" "tag starting with - message"
run add x --meta nokey
expect_rc 1 "--meta without ="
expect_err "tock: --meta takes KEY=VALUE, not 'nokey'" "--meta without = message"
run add x --meta a.b=1
expect_rc 1 "--meta with a bad key"
expect_err "tock: metadata key 'a.b' may hold only letters, digits, '_' and '-'" \
    "--meta bad key message"
run add x --meta tags=1
expect_rc 1 "--meta tags"
expect_err "tock: use --tag for tags" "--meta tags message"
run add one two
expect_rc 2 "add with two titles"
case $ERR in
"tock: give the title as one argument (quote it)"*) ;;
*) fail "add with two titles: stderr '$ERR'" ;;
esac
expect_sql "SELECT count(*) FROM tasks" "$N" "failed adds wrote no task"

# Unicode titles show whole in ls (no terminal: no cutting).
run ls
printf '%s\n' "$OUT" | grep -qx "  11  todo                     $E200" ||
    fail "ls shows the two-byte title whole: $OUT"

finish
