#!/usr/bin/env bash
# The lesson's crash-and-restart scenario for every strategy, in one go.
#
# For each strategy: a topic of its own with 30 orders (10 per partition), a
# group of its own, a run that crashes (exit 1, nothing committed on the way
# out) after CRASH records, a second run that reads to the end and stops by
# itself, then the count. The fourth row is the lesson's loss scenario: greedy
# auto-commit, one poll returning the whole backlog, slow work, a late crash.
# The last three rows are the cure: the same crash recipe with each order's
# effect (a ticket row) in a database, deliveries repeated and effects not,
# and with each ticket a record produced in the batch's Kafka transaction.
#
# The rows share nothing but the broker (each its own topic demo.NAME.orders
# and group demo-NAME), so they play side by side; the table lists them in
# the lesson's order. The learner's own topic and kitchen-* groups are not
# touched.
#
# Plays on an embedded broker of its own, on a free port, started and stopped
# here; BROKERS=host:port plays on that broker instead (scripts/rows.sh).
# Each run's full output is kept in .lab/demo/. The tickets go to a fresh
# SQLite file there, or to DATABASE_URL if that is a postgres:// URL (the
# demo's groups are cleared in it first).
set -euo pipefail
cd "$(dirname "$0")/.."

out=.lab/demo
bin=bin
rm -rf "$out"
mkdir -p "$out"

source scripts/rows.sh

# The effect rows' database.
case ${DATABASE_URL:-} in
postgres://* | postgresql://*) ;;
*) export DATABASE_URL="sqlite:$out/kitchen.db" ;;
esac

# The rows, in the table's order.
play auto-commit auto-commit 10 "auto-commit: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5 COMMIT_EVERY=2s
play manual-sync manual-sync 10 "manual-sync: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play manual-async manual-async 10 "manual-async: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5 COMMIT_EVERY=500ms
play auto-greedy auto-commit 20 "auto-commit GREEDY=1: the loss recipe, crash after 20" GREEDY=1 WORK_DELAY=200ms MAX_POLL_RECORDS=0 COMMIT_EVERY=2s
play idempotent idempotent 10 "idempotent: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play db-offsets db-offsets 10 "db-offsets: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play transactional transactional 10 "transactional: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
wait_rows

rows=() notes=()
for name in "${names[@]}"; do rows+=("$(cat "$out/$name.row")"); done
# The notes quote each row's numbers, from its NAME.vars.
source "$out/auto-commit.vars"
notes+=("auto-commit:  kgo commits on a 2s timer, one poll behind; whatever it had not committed at the crash was processed again ($DUPS records); lost $LOST.")
source "$out/manual-sync.vars"
notes+=("manual-sync:  CommitRecords after every 5-record batch. Only the batch in hand at the crash was uncommitted: $DUPS repeated, lost $LOST.")
source "$out/manual-async.vars"
notes+=("manual-async: marks per record, committed by a 500ms timer and after each batch. Only marks not yet sent at the crash were repeated: $DUPS; lost $LOST.")
source "$out/auto-greedy.vars"
notes+=("auto-greedy:  one poll returned the whole backlog and GREEDY=1 let the 2s tick commit all of it while the work was under way; the crash after 20 left the rest committed but never processed: lost $LOST.")
source "$out/idempotent.vars"
notes+=("idempotent:   manual-sync's commits, so the crash repeated $DUPS deliveries; each ticket was written with its order's idempotency key in one transaction, so the repeats found their key and wrote nothing: $TICKETS tickets, $DUP_TICKETS twice, $MISSING missing.")
source "$out/db-offsets.vars"
notes+=("db-offsets:   each ticket and its partition's next offset in one transaction, and the restart resumed from the database: $DUPS deliveries repeated, $TICKETS tickets, $DUP_TICKETS twice, $MISSING missing.")
source "$out/transactional.vars"
notes+=("transactional: one Kafka transaction per batch, its tickets and its offsets together; the crash left the second batch's open, the restart aborted it ($ABORTED tickets a read_uncommitted reader still sees) and repeated its $DUPS deliveries: a read_committed reader sees $TICKETS tickets, $DUP_TICKETS twice, $MISSING missing.")

echo
printf '%-22s %9s %7s %11s %5s %8s %8s %12s\n' strategy processed unique duplicates lost commits effects dup-effects
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${notes[@]}"
echo
echo "processed = log lines over both runs, unique = distinct offsets, lost = offsets in the topic never processed,"
echo "commits = offset commits that moved a committed offset (db-offsets: its copy for lag tools; transactional: committed"
echo "transactions), effects = tickets in the database (${DATABASE_URL%%:*}) or, for transactional, in the tickets topic as a"
echo "read_committed reader sees it (- = no tickets: there every repeated delivery is a repeated effect), dup-effects = tickets"
echo "beyond the first per order. Full output of every run: $out/"
echo "Pictures of each row (processed vs committed over time): $out/timeline-*.html"
