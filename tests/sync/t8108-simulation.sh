#!/bin/sh
# t8108-simulation.sh - the seeded randomized simulation (SYNC.md 3.17):
# tests/helpers/simsync.py runs many small seeds (3 replicas of 2 users,
# random offline edits, syncs through a fault-injecting proxy with drops,
# cuts, stalls and SIGKILLs) against one server and PostgreSQL, with fresh
# replicas and a fresh workspace per seed, and checks convergence, no lost
# or duplicated write, one running timer per user, and an empty outbox.
# What each op did is read from sync_log and the rows' field clocks:
# applied_ops is pruned below each device's acked watermark.
#   TOCK_SIM_SEEDS   number of seeds (200; 20 when tock is a sanitizer build)
#   TOCK_SIM_FIRST   first seed (1)     TOCK_SIM_JOBS  parallel workers (2)
#   TOCK_SIM_OPS     steps per seed (30)
# A failure prints the seed; replay one with TOCK_SIM_FIRST=N TOCK_SIM_SEEDS=1.
. "$TOCK_SYNC_LIB"
standard_setup TOCK_RATE_AUTH=1000000/60 TOCK_RATE_USER=1000000/60 \
    TOCK_RATE_IP=1000000/60
ensure_user alice@example.com
ensure_user bob@example.com
# Cost-4 hashes: 600 logins at bcrypt cost 12 would take minutes.
fast_password alice@example.com password-alice
fast_password bob@example.com password-bob

# A sanitizer build links __asan_init in (the word "AddressSanitizer"
# itself lives in libasan, not in the binary).
if grep -qa __asan_init "$TOCK" 2>/dev/null; then
	seeds=${TOCK_SIM_SEEDS:-20}
else
	seeds=${TOCK_SIM_SEEDS:-200}
fi
if [ "$(id -u)" -eq 0 ]; then
	pre="runuser -u postgres --"
else
	pre=
fi
mkdir -p "$TMP/sim"
[ "$(id -u)" -ne 0 ] || chmod 0755 "$TMP/sim"
COUNT=$((COUNT + 1))
env SIM_URL="$BASE" SIM_DIR="$TMP/sim" \
    SIM_PSQL="$pre $PGBIN/psql -h $TMP/sock -p $PGPORT -U postgres -d tock -X -A -t -q -v ON_ERROR_STOP=1" \
    SIM_USERS="alice@example.com:password-alice,bob@example.com:password-bob" \
    SIM_JOBS="${TOCK_SIM_JOBS:-2}" SIM_OPS="${TOCK_SIM_OPS:-30}" \
    python3 "$HELPERS/simsync.py" "${TOCK_SIM_FIRST:-1}" "$seeds" ||
	fail "simulation: failing seeds above"
finish
