#!/usr/bin/env bash
# The end-to-end suite against real Apache Kafka.
# With BROKERS set, against that broker (Docker's, say). Otherwise it starts
# Apache Kafka from the Maven jars (scripts/jvm-kafka.sh) on two free ports,
# runs the suite, and stops it again, keeping its logs in .lab/.
set -euo pipefail
lab=$(cd "$(dirname "$0")/.." && pwd)
cd "$lab"
source scripts/lib.sh


export LAB_TEST_KAFKA_TOOLS=1   # the cross-checks with Kafka's own tools must run, not skip
if [[ -n ${BROKERS:-} ]]; then
  echo "test-kafka: against the broker at $BROKERS"
  LAB_TEST_BROKERS=$BROKERS exec go test -count=1 -timeout 30m ./e2e/
fi

port=$(free_port)
cport=$(free_port)
export KAFKA_PORT=$port KAFKA_CONTROLLER_PORT=$cport KAFKA_DIR=$lab/.lab/test-kafka-$port
# Stop it however the suite ends; keep its logs, drop its data.
trap 'scripts/jvm-kafka.sh down; rm -rf "$KAFKA_DIR/data"' EXIT
scripts/jvm-kafka.sh up
# Tests that restart the broker start their own Apache Kafka the same way.
LAB_TEST_BROKERS=127.0.0.1:$port LAB_TEST_BROKER_KIND=jvm-kafka go test -count=1 -timeout 30m ./e2e/
