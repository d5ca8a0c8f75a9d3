#!/usr/bin/env bash
# The lesson's crash on the three Go clients, side by side: franz-go (the
# lab's), kafka-go and confluent-kafka-go (librdkafka). Whether a crash
# repeats records or loses them depends on when the client takes an offset as
# done, and each client decides that differently; this table measures it
# under one recipe.
#
# Every row: a topic of its own with 30 orders (10 per partition), a group of
# its own, a run that crashes with records in hand, a run to the end, the
# count. Two recipes:
#   crash  CRASH=10: exit(1) after 10 records (the other clients' consumers:
#          with the 11th in hand), nothing committed on the way out.
#   loss   a crash with work in hand after the client took its offset as
#          done, where the client's semantics allow it: the franz-go consumer
#          with GREEDY=1 (the demo's row), the others with CRASH_WHEN=committed
#          (the crash waits until the broker has the record in hand as
#          committed, 5 s at most) and a 1 s commit interval. On a client that
#          does not commit a record in hand, the recipe finds nothing to lose.
#
# Same broker rules as the demo (scripts/rows.sh): an embedded broker of its
# own on a free port, started and stopped here, or BROKERS. Each run's output and each row's timeline
# are kept in .lab/clients/. The confluent-kafka-go rows need the cgo build
# (make build-confluent, which `make clients` runs first).
set -euo pipefail
cd "$(dirname "$0")/.."

out=.lab/clients
bin=bin
rm -rf "$out"
mkdir -p "$out"

source scripts/rows.sh

work=(WORK_DELAY=50ms)
play franz-auto auto-commit 10 "franz-go auto-commit: crash after 10" "${work[@]}" MAX_POLL_RECORDS=5 COMMIT_EVERY=2s
play franz-greedy auto-commit 20 "franz-go auto-commit GREEDY=1: the loss recipe" GREEDY=1 WORK_DELAY=200ms MAX_POLL_RECORDS=0 COMMIT_EVERY=2s
play franz-sync manual-sync 10 "franz-go CommitRecords per batch: crash after 10" "${work[@]}" MAX_POLL_RECORDS=5
play kafkago-read kafkago-read 10 "kafka-go ReadMessage: crash with the 11th in hand" "${work[@]}"
play kafkago-interval kafkago-read 10 "kafka-go ReadMessage, CommitInterval 1s: the loss recipe" "${work[@]}" COMMIT_EVERY=1s CRASH_WHEN=committed
play kafkago-fetch kafkago-fetch 10 "kafka-go FetchMessage + CommitMessages: crash with the 11th in hand" "${work[@]}"
play confluent-auto confluent-auto 10 "librdkafka defaults: crash with the 11th in hand" "${work[@]}"
play confluent-loss confluent-auto 10 "librdkafka defaults: the loss recipe" "${work[@]}" COMMIT_EVERY=1s CRASH_WHEN=committed
play confluent-store confluent-store 10 "librdkafka, StoreMessage after the work: the loss recipe" "${work[@]}" COMMIT_EVERY=1s CRASH_WHEN=committed
play confluent-commit confluent-commit 10 "librdkafka, CommitMessage after each: crash with the 11th in hand" "${work[@]}"
wait_rows

declare -A client=(
  [franz-auto]="franz-go" [franz-greedy]="franz-go" [franz-sync]="franz-go"
  [kafkago-read]="kafka-go" [kafkago-interval]="kafka-go" [kafkago-fetch]="kafka-go"
  [confluent-auto]="confluent" [confluent-loss]="confluent" [confluent-store]="confluent" [confluent-commit]="confluent"
)
declare -A recipe=(
  [franz-auto]="crash" [franz-greedy]="loss" [franz-sync]="crash"
  [kafkago-read]="crash" [kafkago-interval]="loss" [kafkago-fetch]="crash"
  [confluent-auto]="crash" [confluent-loss]="loss" [confluent-store]="loss" [confluent-commit]="crash"
)
declare -A why=(
  [franz-auto]="kgo's auto-commit is one poll behind (kgo consumer_group.go: \"if autocommitting normally, then head is bumped to the prior poll on poll\"): it repeats, never loses"
  [franz-greedy]="GREEDY=1 commits what was polled: the tick covered records never processed"
  [franz-sync]="CommitRecords after each batch: the batch in hand repeats"
  [kafkago-read]="ReadMessage commits before it returns the message (kafka-go reader.go: \"could result in an offset being committed before the message is fully processed\"): the record in hand is lost"
  [kafkago-interval]="ReadMessage queues the offset as it returns the message; the CommitInterval ticker committed it while it was in hand"
  [kafkago-fetch]="FetchMessage, the work, then CommitMessages: nothing committed before its work"
  [confluent-auto]="enable.auto.offset.store=true stores each offset as Poll hands the message over; what the 5 s auto-commit had not sent at the crash repeats"
  [confluent-loss]="the stored offset of the message in hand went out with the next auto-commit: lost"
  [confluent-store]="enable.auto.offset.store=false and StoreMessage after the work: the auto-commit never passed the message in hand"
  [confluent-commit]="CommitMessage after each message's work, blocking: nothing committed before its work"
)

echo
printf '%-17s %-10s %-6s %9s %7s %11s %5s %8s  %s\n' row client recipe processed unique duplicates lost commits "committed at the crash"
for name in "${names[@]}"; do
  source "$out/$name.vars"
  printf '%-17s %-10s %-6s %9s %7s %11s %5s %8s  %s\n' "$name" "${client[$name]}" "${recipe[$name]}" "$TOTAL" "$UNIQUE" "$DUPS" "$LOST" "$COMMITS" "$AT_CRASH"
done
echo
for name in "${names[@]}"; do
  printf '%-17s %s\n' "$name:" "${why[$name]}"
done
echo
echo "processed = log lines over both runs, unique = distinct offsets, lost = offsets in the topic never processed,"
echo "commits = commits that moved a committed offset, as the client reported them (kafka-go's log, librdkafka's"
echo "OffsetsCommitted events, a blocking call's return) or, for a client's commit at Close, as the broker then had them."
echo "Full output of every run: $out/; pictures of each row: $out/timeline-*.html"
