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
# Uses the broker on BROKERS (default 127.0.0.1:9092); if none answers it starts
# the embedded one there with a fresh state directory, and stops it at the end.
# Each run's full output is kept in .lab/demo/. The tickets go to a fresh
# SQLite file there, or to DATABASE_URL if that is a postgres:// URL (the
# demo's groups are cleared in it first).
set -euo pipefail
cd "$(dirname "$0")/.."

export BROKERS=${BROKERS:-127.0.0.1:9092}
out=.lab/demo
bin=bin
rm -rf "$out"
mkdir -p "$out"

# The embedded broker, if the demo starts one, has its own state, pid and log
# files in $out, and stops when the demo ends, however it ends.
broker_env=(BROKER_DATA="$out/broker-data" BROKER_PIDFILE="$out/broker.pid" BROKER_LOGFILE="$out/broker.log")
started=""
stop_broker() {
  if [[ -n $started ]]; then
    env "${broker_env[@]}" BROKER_PORT="$started" scripts/broker.sh down >/dev/null
  fi
}
trap stop_broker EXIT

if ! $bin/admin ping >/dev/null 2>&1; then
  host=${BROKERS%%,*}
  port=${host##*:}
  case ${host%:*} in
  127.0.0.1 | localhost) ;;
  *) echo "demo: no broker answers at $BROKERS, and the embedded one can only be started on 127.0.0.1" >&2; exit 1 ;;
  esac
  env "${broker_env[@]}" BROKER_PORT="$port" scripts/broker.sh up >/dev/null
  started=$port
  echo "demo: started the embedded broker on 127.0.0.1:$port (stopped again at the end)"
else
  echo "demo: using the broker at $BROKERS"
fi

# The effect rows' database.
case ${DATABASE_URL:-} in
postgres://* | postgresql://*) ;;
*) export DATABASE_URL="sqlite:$out/kitchen.db" ;;
esac

# Settings a learner may have in the environment must not change the demo.
unset GROUP INSTANCE LOG EVENTS OUTPUT_TOPIC TRANSACTION_TIMEOUT COMMIT_PER PRINT CPUPROFILE RESET REBALANCE_TIMEOUT CRASH WORK_DELAY COMMIT_EVERY MAX_POLL_RECORDS GREEDY IDLE_EXIT SEED_MESSAGES

# scenario NAME BINARY CRASH TITLE SETTINGS...: plays one row, in the
# background; its row and the numbers its note quotes go to $out/NAME.row and
# $out/NAME.vars.
scenario() {
  local name=$1 binary=$2 crash=$3 title=$4
  shift 4
  local log="$out/processed-$name.log" events="$out/events-$name.jsonl" group="demo-$name"
  export TOPIC="demo.$name.orders" OUTPUT_TOPIC="demo.$name.tickets"
  $bin/admin topic-delete >/dev/null
  $bin/admin topic-create >/dev/null
  $bin/seed -seed-messages 30 >/dev/null
  $bin/admin group-delete -group "$group" >/dev/null
  local effects=""
  if [[ $binary == idempotent || $binary == db-offsets ]]; then
    effects=1
    $bin/admin tickets-clear -group "$group" >/dev/null
  fi
  [[ $binary == transactional ]] && effects=kafka

  local rc=0
  env "$@" GROUP="$group" LOG="$log" EVENTS="$events" CRASH="$crash" $bin/"$binary" >"$out/$name-1-crash.out" 2>&1 || rc=$?
  if [[ $rc -ne 1 ]]; then
    echo "demo: $name: the crash run exited $rc, expected the crash's 1; see $out/$name-1-crash.out" >&2
    tail -5 "$out/$name-1-crash.out" >&2
    return 1
  fi
  env "$@" GROUP="$group" LOG="$log" EVENTS="$events" CRASH=0 IDLE_EXIT=1s $bin/"$binary" >"$out/$name-2-recover.out" 2>&1 || {
    echo "demo: $name: the recovery run failed; see $out/$name-2-recover.out" >&2
    tail -5 "$out/$name-2-recover.out" >&2
    return 1
  }
  # The picture of both runs, drawn while the broker still knows the topic's offsets.
  $bin/timeline -log "$log" -events "$events" -out "$out/timeline-$name.svg" -title "$title" >/dev/null

  local head commits tickets="-" dup_tickets="-" missing="" aborted=""
  # The whole output first: cutting the pipe early (| head -1) can kill admin
  # with SIGPIPE, which pipefail turns into a failed demo.
  if [[ $effects == kafka ]]; then
    # "TOPIC (read_committed): records=N unique-orders=N duplicates=N missing=N",
    # "TOPIC (read_uncommitted): records=N, of them N ...", then the log's line.
    head=$($bin/admin count-output -log "$log")
    local theirs=${head%%$'\n'*}
    tickets=$(sed -E 's/.*records=([0-9]+).*/\1/' <<<"$theirs")
    dup_tickets=$(sed -E 's/.*duplicates=([0-9]+).*/\1/' <<<"$theirs")
    missing=$(sed -E 's/.*missing=([0-9]+).*/\1/' <<<"$theirs")
    head=${head#*$'\n'}
    aborted=$(sed -E 's/.*of them ([0-9]+) from.*/\1/' <<<"${head%%$'\n'*}")
    head=${head#*$'\n'}
  elif [[ -n $effects ]]; then
    # "tickets (...): effects=N unique-orders=N duplicate-effects=N missing=N", then the log's line.
    head=$($bin/admin count-effects -group "$group" -log "$log")
    local theirs=${head%%$'\n'*}
    tickets=$(sed -E 's/.* effects=([0-9]+).*/\1/' <<<"$theirs")
    dup_tickets=$(sed -E 's/.*duplicate-effects=([0-9]+).*/\1/' <<<"$theirs")
    missing=$(sed -E 's/.*missing=([0-9]+).*/\1/' <<<"$theirs")
    head=${head#*$'\n'}
  else
    head=$($bin/admin count -log "$log")
  fi
  head=${head%%$'\n'*}
  # summary lines: "... summary strategy=X processed=N commits=N ..."; add up both runs.
  commits=$(grep -ho 'summary .* commits=[0-9]*' "$out/$name"-*.out | sed 's/.*commits=//' | awk '{ n += $1 } END { print n + 0 }')
  local total unique dups lost
  total=$(sed -E 's/.*total=([0-9]+).*/\1/' <<<"$head")
  unique=$(sed -E 's/.*unique-offsets=([0-9]+).*/\1/' <<<"$head")
  dups=$(sed -E 's/.*duplicates=([0-9]+).*/\1/' <<<"$head")
  lost=$(sed -E 's/.*lost=([0-9?]+).*/\1/' <<<"$head")
  printf '%-22s %9s %7s %11s %5s %8s %8s %12s\n' "$name" "$total" "$unique" "$dups" "$lost" "$commits" "$tickets" "$dup_tickets" >"$out/$name.row"
  printf 'DUPS=%q LOST=%q TICKETS=%q DUP_TICKETS=%q MISSING=%q ABORTED=%q\n' "$dups" "$lost" "$tickets" "$dup_tickets" "$missing" "$aborted" >"$out/$name.vars"
  echo "demo: $name done (crash run: CRASH=$crash $*; then a run to the end)"
}

# The rows, in the table's order. Each runs in a process group of its own
# (set -m), so that a Ctrl+C of the demo can stop every run it started.
set -m
names=() pids=()
play() {
  # set +m inside: the row's own commands stay in its process group.
  (set +m; scenario "$@") &
  names+=("$1") pids+=($!)
}
stop_rows() {
  # The runs of a stopped demo count for nothing: they are killed at once
  # (a clean stop would wait for a broker the same Ctrl+C stops).
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  { wait; } 2>/dev/null
  disown -a # no job notices on the way out
  echo "demo: stopped; what the runs wrote so far is in $out/" >&2
  exit 130
}
trap stop_rows INT TERM

play auto-commit auto-commit 10 "auto-commit: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5 COMMIT_EVERY=2s
play manual-sync manual-sync 10 "manual-sync: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play manual-async manual-async 10 "manual-async: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5 COMMIT_EVERY=500ms
play auto-greedy auto-commit 20 "auto-commit GREEDY=1: the loss recipe, crash after 20" GREEDY=1 WORK_DELAY=200ms MAX_POLL_RECORDS=0 COMMIT_EVERY=2s
play idempotent idempotent 10 "idempotent: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play db-offsets db-offsets 10 "db-offsets: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
play transactional transactional 10 "transactional: crash after 10 records, then a run to the end" WORK_DELAY=50ms MAX_POLL_RECORDS=5
set +m # the rows keep their groups; the shell prints no job notices

failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed=1
done
trap - INT TERM
[[ $failed == 0 ]] || { echo "demo: a row failed (above)" >&2; exit 1; }

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
