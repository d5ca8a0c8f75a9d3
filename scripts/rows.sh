# The rows of a table of crash-and-restart runs, each in the background,
# side by side on one broker: what scripts/demo.sh (the lesson) and
# scripts/clients.sh (the same crash on other clients) share. Sourced, not
# run: the caller sets $out (the folder for every run's output) and $bin,
# then plays rows with `play NAME BINARY CRASH TITLE SETTINGS...` and waits
# for them with `wait_rows`. A row's numbers go to $out/NAME.row and
# $out/NAME.vars.
#
# Without BROKERS it starts an embedded broker of its own on a free port,
# its state in $out, and stops it when the caller exits: a Kafka a learner
# runs on 9092 neither serves the rows (its settings would change their
# numbers) nor is touched by them. With BROKERS it uses that broker, or, if
# none answers there and it is this machine, starts the embedded one there.
me=$(basename "$0" .sh)

# The embedded broker, if one is started here, has its own state, pid and log
# files in $out, and stops when the caller ends, however it ends.
broker_env=(BROKER_DATA="$out/broker-data" BROKER_PIDFILE="$out/broker.pid" BROKER_LOGFILE="$out/broker.log")
started=""
stop_broker() {
  if [[ -n $started ]]; then
    env "${broker_env[@]}" BROKER_PORT="$started" scripts/broker.sh down >/dev/null
  fi
}
trap stop_broker EXIT

if [[ -z ${BROKERS:-} ]]; then
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
    if env "${broker_env[@]}" BROKER_PORT="$port" scripts/broker.sh up >/dev/null; then
      started=$port
      break
    fi
  done
  [[ -n $started ]] || { echo "$me: could not start the embedded broker on a free port (see $out/broker.log)" >&2; exit 1; }
  export BROKERS=127.0.0.1:$started
  echo "$me: started its own embedded broker on $BROKERS (stopped again at the end; BROKERS=host:port to use another)"
elif ! $bin/admin ping >/dev/null 2>&1; then
  host=${BROKERS%%,*}
  port=${host##*:}
  case ${host%:*} in
  127.0.0.1 | localhost) ;;
  *) echo "$me: no broker answers at $BROKERS, and the embedded one can only be started on 127.0.0.1" >&2; exit 1 ;;
  esac
  env "${broker_env[@]}" BROKER_PORT="$port" scripts/broker.sh up >/dev/null
  started=$port
  echo "$me: started the embedded broker on 127.0.0.1:$port (stopped again at the end)"
else
  echo "$me: using the broker at $BROKERS"
fi

# Settings a learner may have in the environment must not change the rows.
unset GROUP INSTANCE LOG EVENTS OUTPUT_TOPIC TRANSACTION_TIMEOUT COMMIT_PER PRINT CPUPROFILE RESET REBALANCE_TIMEOUT CRASH WORK_DELAY COMMIT_EVERY MAX_POLL_RECORDS GREEDY IDLE_EXIT SEED_MESSAGES CRASH_WHEN

# scenario NAME BINARY CRASH TITLE SETTINGS...: plays one row, in the
# background; its row and the numbers its note quotes go to $out/NAME.row and
# $out/NAME.vars.
scenario() {
  local name=$1 binary=$2 crash=$3 title=$4
  shift 4
  local log="$out/processed-$name.log" events="$out/events-$name.jsonl" group="$me-$name"
  export TOPIC="$me.$name.orders" OUTPUT_TOPIC="$me.$name.tickets"
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
    echo "$me: $name: the crash run exited $rc, expected the crash's 1; see $out/$name-1-crash.out" >&2
    tail -5 "$out/$name-1-crash.out" >&2
    return 1
  fi
  env "$@" GROUP="$group" LOG="$log" EVENTS="$events" CRASH=0 IDLE_EXIT=1s $bin/"$binary" >"$out/$name-2-recover.out" 2>&1 || {
    echo "$me: $name: the recovery run failed; see $out/$name-2-recover.out" >&2
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
  # What the group had committed when the crash struck, as the crash run's summary says.
  local at_crash
  at_crash=$(grep -o 'summary .* committed=[^ ]*' "$out/$name-1-crash.out" | sed 's/.*committed=//' | tail -1)
  printf 'AT_CRASH=%q TOTAL=%q UNIQUE=%q DUPS=%q LOST=%q COMMITS=%q TICKETS=%q DUP_TICKETS=%q MISSING=%q ABORTED=%q\n' "$at_crash" "$total" "$unique" "$dups" "$lost" "$commits" "$tickets" "$dup_tickets" "$missing" "$aborted" >"$out/$name.vars"
  echo "$me: $name done (crash run: CRASH=$crash $*; then a run to the end)"
}

# The rows, in the table's order. Each runs in a process group of its own
# (set -m), so that a Ctrl+C can stop every run it started.
set -m
names=() pids=()
play() {
  # set +m inside: the row's own commands stay in its process group.
  (set +m; scenario "$@") &
  names+=("$1") pids+=($!)
}
stop_rows() {
  # The runs of a stopped table count for nothing: they are killed at once
  # (a clean stop would wait for a broker the same Ctrl+C stops).
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  { wait; } 2>/dev/null
  disown -a # no job notices on the way out
  echo "$me: stopped; what the runs wrote so far is in $out/" >&2
  exit 130
}
trap stop_rows INT TERM


# wait_rows: waits for every row played; fails if one did.
wait_rows() {
  set +m # the rows keep their groups; the shell prints no job notices
  local failed=0 i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed=1
  done
  trap - INT TERM
  [[ $failed == 0 ]] || { echo "$me: a row failed (above)" >&2; exit 1; }
}
