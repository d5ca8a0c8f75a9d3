#!/usr/bin/env bash
# Exercises: predict, then measure. `make exercise` lists them; `make exercise
# N=3` plays one: it says what will happen, asks how many records the
# restart will process twice and how many will never be processed, runs it
# on a broker of its own, and prints what was measured beside the
# prediction, with the one-sentence why. PREDICT=5,0 (repeated,lost) answers
# without a terminal. The answers, for instructors: docs/exercises.md.
#
# Each exercise plays on a fresh topic and group of its own (exercise.NAME.*),
# on an embedded broker started for it (BROKERS=host:port: that broker
# instead, except for the two that kill or fault the broker); its runs'
# output goes to .lab/exercise/N/.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=bin
n=${1:-}

titles=(
  ""
  "a crash mid-batch"
  "a bigger window: the production pattern"
  "a second copy joins and leaves"
  "the broker dies mid-run"
  "every commit fails, then a crash"
  "the greedy loss"
  "the hand-off loss: a worker pool"
  "a KIP-848 restart"
  "a share group's poison record"
)
count=$((${#titles[@]} - 1))

list() {
  echo "Exercises: predict how many records a failure repeats and loses, then measure it."
  echo "Play one with 'make exercise N=<number>' (PREDICT=repeated,lost answers without asking)."
  echo
  for i in $(seq 1 "$count"); do printf '  %d. %s\n' "$i" "${titles[$i]}"; done
  echo
  echo "Each runs on a broker and topic of its own, in 5 to 30 seconds. Answers: docs/exercises.md."
}

if [[ -z $n ]]; then
  list
  exit 0
fi
if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > count)); then
  echo "exercise: N=$n: want a number from 1 to $count ('make exercise' lists them)" >&2
  exit 2
fi

# wrap folds a paragraph at 100 columns, without trailing blanks.
wrap() { fold -s -w 100 | sed 's/ *$//'; }

# The prediction, checked before anything runs.
predict() {
  local answer=${PREDICT:-}
  if [[ -z $answer ]]; then
    if [[ ! -t 0 ]]; then
      echo "exercise: no terminal to ask for your prediction: give it as PREDICT=repeated,lost (e.g. PREDICT=5,0)" >&2
      exit 2
    fi
    read -r -p "Your prediction, as repeated,lost (e.g. 5,0): " answer
  fi
  if ! [[ $answer =~ ^[[:space:]]*([0-9]+)[[:space:]]*,[[:space:]]*([0-9]+)[[:space:]]*$ ]]; then
    echo "exercise: PREDICT=$answer: want two whole numbers, repeated,lost (e.g. 5,0)" >&2
    exit 2
  fi
  you_rep=${BASH_REMATCH[1]} you_lost=${BASH_REMATCH[2]}
}

# verdict REPEATED LOST WHY DO-IT-YOURSELF: what was measured, beside the prediction.
verdict() {
  local rep=$1 lost=$2 why=$3 yourself=$4
  echo
  printf '              %8s %10s\n' "you" "measured"
  printf '  repeated    %8s %10s\n' "$you_rep" "$rep"
  printf '  lost        %8s %10s\n' "$you_lost" "$lost"
  echo
  if [[ $you_rep == "$rep" && $you_lost == "$lost" ]]; then
    echo "Right on both."
  else
    echo "Not quite: see why."
  fi
  wrap <<<"Why: $why"
  wrap <<<"By hand, from 'make fresh': $yourself"
  echo "Every run's output: $out/"
}

out=.lab/exercise/$n
rm -rf "$out"
mkdir -p "$out"
me=exercise

# intro SETUP QUESTION: what the learner reads before predicting.
intro() {
  echo "Exercise $n: ${titles[$n]}"
  echo
  wrap <<<"$1"
  echo
  wrap <<<"Predict: $2"
  echo
}

# The rows' machinery (scripts/rows.sh): a broker of its own, and `scenario`,
# which plays a crash run and a run to the end and counts.
rows() {
  source scripts/rows.sh
}

# fresh_topic NAME: a topic of 30 orders and a group with nothing committed,
# exercise.NAME.orders and exercise-NAME, for the runs that follow.
fresh_topic() {
  export TOPIC=exercise.$1.orders GROUP=exercise-$1
  $bin/admin topic-delete >/dev/null && $bin/admin topic-create >/dev/null && $bin/seed -seed-messages 30 >/dev/null
  $bin/admin group-delete >/dev/null
}

# experiment SCENARIO STRATEGY: one cell of `make experiment`, on an embedded
# broker of its own; sets rep and lost from its results.csv.
experiment() {
  local scenario=$1 strategy=$2
  echo "(playing the experiment's $scenario scenario for $strategy on an embedded broker of its own: about 20 s)"
  env -u BROKERS $bin/experiment -scenarios "$scenario" -strategies "$strategy" -out "$out" >"$out/experiment.out" 2>&1 || {
    echo "exercise: the experiment failed; see $out/experiment.out" >&2
    tail -5 "$out/experiment.out" >&2
    exit 1
  }
  read -r rep lost < <(awk -F, -v s="$scenario" '$1 == s { print $5, $6 }' "$out/results.csv")
}

case $n in
1)
  intro "manual-sync commits after every polled batch of 5 records (CommitRecords, blocking). 30 orders, 10 per partition. The run crashes (exit 1, no commit) right after its 7th record; a second run reads to the end." \
    "how many records will the second run process again, and how many will never be processed?"
  predict
  rows
  scenario mid-batch manual-sync 7 "manual-sync: crash after 7" WORK_DELAY=50ms MAX_POLL_RECORDS=5 >/dev/null
  source "$out/mid-batch.vars"
  verdict "$DUPS" "$LOST" "the first batch of 5 was committed; the crash came 2 records into the second batch, whose commit never happened, so those 2 came again. A synchronous commit per batch repeats at most the batch in hand (committed at the crash: $AT_CRASH)." \
    "make run-sync CRASH=7; make run-sync; make count-sync"
  ;;
2)
  intro "manual-async in the lesson texts' production pattern (COMMIT_PER=shutdown): each record is marked, kgo's timer commits the marks every COMMIT_EVERY (here 5s), and a blocking commit runs only at a clean stop. The run crashes after 10 records, half a second in; a second run reads to the end." \
    "how many records will the second run process again, and how many will never be processed?"
  predict
  rows
  scenario window manual-async 10 "manual-async COMMIT_PER=shutdown COMMIT_EVERY=5s: crash after 10" WORK_DELAY=50ms MAX_POLL_RECORDS=5 COMMIT_PER=shutdown COMMIT_EVERY=5s >/dev/null
  source "$out/window.vars"
  verdict "$DUPS" "$LOST" "the 5 s timer had not fired when the crash came half a second in, and nothing else commits in the loop: every record marked so far came again, none lost (only processed records are marked). The window is the timer's: up to COMMIT_EVERY of records (committed at the crash: $AT_CRASH)." \
    "make run-async COMMIT_PER=shutdown COMMIT_EVERY=5s CRASH=10; make run-async; make count-async"
  ;;
3)
  intro "manual-sync, 90 orders at 100 ms each. A second copy (INSTANCE=2) joins the group after the first processed 10 records, and leaves with Ctrl+C after processing 10 itself; the partitions move twice. The first copy is stopped once everything is committed." \
    "how many records will be processed twice, and how many never?"
  predict
  experiment rebalance sync
  verdict "$rep" "$lost" "with the classic protocol every member finishes and commits its batch before a rebalance takes its partitions (kgo's BlockRebalanceOnPoll, and manual-sync commits on revoke), and a clean Ctrl+C commits what was processed: the partitions change hands with nothing uncommitted." \
    "make run-sync WORK_DELAY=100ms, and in a second terminal make run-sync INSTANCE=2 (Ctrl+C it after a few records)"
  ;;
4)
  [[ -n ${BROKERS:-} ]] && echo "(this exercise kills the broker: it plays on an embedded broker of its own, not on $BROKERS)"
  intro "auto-commit (kgo's 2 s timer), 150 orders. Once it processed 25, the broker process is SIGKILLed and started again 4 s later; the same run waits for it, rejoins and reads to the end." \
    "how many records will be processed twice, and how many never?"
  predict
  experiment broker-restart auto
  verdict "$rep" "$lost" "nothing is lost: kgo commits only what was polled before the last poll. But when the group forgot the member (the broker restarted), kgo dropped what it had not committed and re-read from the last commit that went through: everything processed from its buffer meanwhile came again ($rep). manual-sync and manual-async commit on rejoining and repeat at most a batch per partition." \
    "make broker-up; make run-auto WORK_DELAY=200ms, and while it runs, in a second terminal: kill -9 \$(cat .lab/broker.pid); sleep 4; make broker-up"
  ;;
5)
  [[ -n ${BROKERS:-} ]] && echo "(this exercise makes the broker fail commits: it plays on an embedded broker of its own, not on $BROKERS)"
  intro "manual-async, 30 orders. Every commit of its group fails (REBALANCE_IN_PROGRESS), its timer tries every 200 ms, it crashes after 20 records; then the fault is cleared and a second run reads to the end." \
    "how many records will the second run process again, and how many will never be processed?"
  predict
  experiment commit-fail async
  verdict "$rep" "$lost" "a commit that fails changes nothing on the broker: the restart resumes from the last commit that succeeded, here none, so all 20 processed records came again. manual-async does not wait for a failed commit (the marks stay for the next one); manual-sync would have stopped and retried, repeating only the batch in hand." \
    "make fault-commit ERR=REBALANCE_IN_PROGRESS COUNT=all GROUP=kitchen-async; make run-async COMMIT_EVERY=200ms CRASH=20; make fault-clear; make run-async; make count-async"
  ;;
6)
  intro "auto-commit with GREEDY=1 (kgo.GreedyAutoCommit: commit what was polled, not one poll behind), one poll taking the whole backlog (MAX_POLL_RECORDS=0), 200 ms of work per record, a crash after 20 records; a second run reads to the end." \
    "how many records will be processed twice, and how many never?"
  predict
  rows
  scenario greedy auto-commit 20 "auto-commit GREEDY=1: crash after 20" GREEDY=1 WORK_DELAY=200ms MAX_POLL_RECORDS=0 COMMIT_EVERY=2s >/dev/null
  source "$out/greedy.vars"
  verdict "$DUPS" "$LOST" "the 2 s tick committed all 30 polled offsets while the work was 10 records in; the crash after 20 left 10 committed but never processed, and the restart began after them. franz-go's default (one poll behind) would have repeated instead: the loss is GREEDY's." \
    "make run-auto GREEDY=1 MAX_POLL_RECORDS=0 WORK_DELAY=200ms CRASH=20; make run-auto; make count-auto"
  ;;
7)
  intro "auto-commit with a worker pool (HANDOFF=2): the loop hands each polled batch to 2 goroutines and polls again at once. The pool is held on its first two records (WORK_HOLD, a file) until kgo's timer (100 ms) has committed, then let go; the run crashes as the first record is done. A second run reads to the end. No GREEDY." \
    "how many records will be processed twice, and how many never?"
  predict
  rows
  fresh_topic handoff
  hold=$out/hold
  touch "$hold"
  set +e
  LOG=$out/processed-handoff.log EVENTS=$out/events-handoff.jsonl HANDOFF=2 WORK_HOLD=$hold COMMIT_EVERY=100ms CRASH=1 \
    $bin/auto-commit >"$out/handoff-1-crash.out" 2>&1 &
  pid=$!
  pids+=("$pid") # stopped with the rest by a Ctrl+C (scripts/rows.sh)
  for _ in $(seq 1 300); do
    grep -q 'committed p0→10 p1→10 p2→10' "$out/handoff-1-crash.out" && break
    sleep 0.1
  done
  rm -f "$hold"
  wait "$pid"
  rc=$?
  set -e
  [[ $rc == 1 ]] || { echo "exercise: the held run exited $rc, not the crash's 1; see $out/handoff-1-crash.out" >&2; exit 1; }
  LOG=$out/processed-handoff.log EVENTS=$out/events-handoff.jsonl IDLE_EXIT=1s $bin/auto-commit >"$out/handoff-2-recover.out" 2>&1
  head=$($bin/admin count -log "$out/processed-handoff.log")
  head=${head%%$'\n'*}
  rep=$(sed -E 's/.*duplicates=([0-9]+).*/\1/' <<<"$head")
  lost=$(sed -E 's/.*lost=([0-9?]+).*/\1/' <<<"$head")
  verdict "$rep" "$lost" "kgo commits one poll behind, which is safe only if the work is done when the loop polls again; with a pool the loop polls again at once, so the timer committed all 30 while 2 records were in the pool. The restart found nothing to read: the $lost records the pool had not finished are lost (29 when the second goroutine's record did not finish with the crashing one), with any client that commits on a timer." \
    "touch hold; make run-auto HANDOFF=2 WORK_HOLD=hold COMMIT_EVERY=100ms CRASH=1 (rm hold from another terminal after its first commit line); make run-auto; make count-auto"
  ;;
8)
  intro "manual-sync under KIP-848 (GROUP_PROTOCOL=consumer: the broker assigns), with the group's session shortened to 6 s (SESSION_TIMEOUT=6s; 45 s by default). It crashes after 10 records; a restart with the same static id reads to the end." \
    "how many records will the restart process again, and how many will never be processed? (And watch how long the restart waits for its first record.)"
  predict
  rows
  scenario kip848 manual-sync 10 "manual-sync GROUP_PROTOCOL=consumer: crash after 10" WORK_DELAY=50ms MAX_POLL_RECORDS=5 GROUP_PROTOCOL=consumer SESSION_TIMEOUT=6s >/dev/null
  source "$out/kip848.vars"
  wait_line=$(grep -o 'first record [0-9.]*s after start' "$out/kip848-2-recover.out" | head -1)
  verdict "$DUPS" "$LOST" "the offsets behave as under the classic protocol (the batch in hand repeats, nothing is lost), but the restart had to wait: under KIP-848 the crashed member keeps its static id until its session ends, so the restart got its $wait_line (6 s session; 45 s by default)." \
    "make run-sync GROUP_PROTOCOL=consumer SESSION_TIMEOUT=6s CRASH=10; make run-sync GROUP_PROTOCOL=consumer SESSION_TIMEOUT=6s; make count-sync"
  ;;
9)
  intro "A share group (KIP-932: no offsets, each record answered after its work). The work of order-0007 always fails (POISON=order-0007) and the member releases it (ON_FAIL=release): the broker hands it out again, up to its delivery limit of 5. 30 orders, one run to the end. Count each extra delivery as repeated." \
    "how many deliveries will be repeats, and how many orders will never be processed?"
  predict
  rows
  fresh_topic poison
  LOG=$out/processed-poison.log EVENTS=$out/events-poison.jsonl POISON=order-0007 ON_FAIL=release WORK_DELAY=10ms IDLE_EXIT=2s \
    $bin/share >"$out/poison.out" 2>&1
  head=$($bin/admin count-share -log "$out/processed-poison.log")
  head=${head%%$'\n'*}
  rep=$(sed -E 's/.*redelivered=([0-9]+).*/\1/' <<<"$head")
  lost=$(sed -E 's/.* lost=([0-9?]+).*/\1/' <<<"$head")
  archived=$(sed -E 's/.*archived=([0-9]+).*/\1/' <<<"$head")
  verdict "$rep" "$lost" "order-0007 was delivered 5 times (the limit), failing each time: 4 repeats; then the broker archived it ($archived archived). Every other order was accepted once. No order is lost to the count: the poison one was processed, and failed; a consumer group could not have skipped it without committing past it." \
    "make run-share POISON=order-0007; make count-share"
  ;;
esac
