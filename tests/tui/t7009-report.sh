#!/bin/sh
# t7009-report: the week screen shows the numbers of tock report: per day
# and per task, this week (tock report --week) and last week (the same
# range through --since/--until), an entry across the weeks' midnight
# split between them.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

MON=$(date -d "$(date +%F) -$(($(date +%u) - 1)) days" +%F)
LMON=$(date -d "$MON -7 days" +%F)
day() {
	date -d "$LMON +$1 days" +%F
}
"$TOCK" add "Report one" >/dev/null
"$TOCK" add "Report two 报告" >/dev/null
"$TOCK" add "Across midnight" >/dev/null
"$TOCK" track 1 "$(day 2) 09:00..$(day 2) 11:00" >/dev/null
"$TOCK" track 2 "$(day 4) 10:00..$(day 4) 10:20" >/dev/null
"$TOCK" track 3 "$(day 6) 23:00..$MON 01:00" >/dev/null
"$TOCK" track 1 1h30m >/dev/null
"$TOCK" track 2 45m --at -3h >/dev/null

# compare DESC JSON: every day and task total of the report in JSON is on
# the screen, on its own line.
compare() {
	COUNT=$((COUNT + 1))
	printf '%s\n' "$SCREEN" >"$TMP/screen"
	printf '%s' "$2" >"$TMP/report.json"
	python3 - "$TMP/screen" "$TMP/report.json" >"$TMP/cmp" 2>&1 <<'PY' ||
import datetime, json, re, sys
screen = open(sys.argv[1], encoding="utf-8").read().splitlines()
r = json.load(open(sys.argv[2]))
def dur(s):
    if s < 60: return "%ds" % s
    m = s // 60
    if m < 60: return "%dm" % m
    return "%dh%02dm" % (m // 60, m % 60)
bad = []
def find(prefix, what):
    for l in screen:
        if re.match(prefix, l):
            if not re.search(r"\s" + re.escape(what) + r"(\s|$)", l):
                bad.append("%r lacks %s" % (l, what))
            return
    bad.append("no line for /%s/ (%s)" % (prefix, what))
for d in r["days"]:
    if d["seconds"] > 0:
        lab = datetime.date.fromisoformat(d["date"]).strftime("%a %m-%d")
        find(r"\s+" + re.escape(lab), dur(d["seconds"]))
for g in r["groups"]:
    find(r".?\s+%d\s+%s" % (g["num"], re.escape(g["label"])), dur(g["seconds"]))
find(r"\s+Total", dur(r["total_seconds"]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
		fail "$1: $(cat "$TMP/cmp")
$SCREEN"
}

tui_start
keys 3
wait_for "By task"
wait_for "Week $(date -d "$MON" +%V): $(date -d "$MON" '+%a %F')"
run report --week --json
compare "this week" "$OUT"
check "this week has time" [ "$(jsonq 'd["total_seconds"]')" -gt 0 ]

keys [
wait_for "Week $(date -d "$LMON" +%V): $(date -d "$LMON" '+%a %F')"
wait_for "last week"
run report --since "$LMON" --until "$MON" --json
compare "last week" "$OUT"
check "last week has 3h20m" [ "$(jsonq 'd["total_seconds"]')" = 12000 ]
wait_for "Total"
keys .
wait_for "this week"

keys q
wait_exit
finish
