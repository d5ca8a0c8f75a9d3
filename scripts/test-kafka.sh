#!/usr/bin/env bash
# The end-to-end suite against real Apache Kafka.
# With BROKERS set, against that broker (Docker's, say). Otherwise it starts
# Apache Kafka from the Maven jars on two free ports, runs the suite, and
# stops it again (scripts/with-kafka.sh).
set -euo pipefail
lab=$(cd "$(dirname "$0")/.." && pwd)
cd "$lab"

export LAB_TEST_KAFKA_TOOLS=1   # the cross-checks with Kafka's own tools must run, not skip
if [[ -n ${BROKERS:-} ]]; then
  echo "test-kafka: against the broker at $BROKERS"
  LAB_TEST_BROKERS=$BROKERS exec go test -count=1 -parallel 16 -timeout 20m ./e2e/
fi

# Tests that restart the broker start their own Apache Kafka the same way;
# this one has a SCRAM listener too, which the SASL test must find. Its
# KIP-848 and share group sessions are 6 s (Kafka's minimum lowered), as on
# the suite's embedded broker: the tests that wait out a crashed member's
# session take seconds, not 45.
KAFKA_SESSION_TIMEOUT_MS=6000 LAB_TEST_KAFKA_SASL=1 LAB_TEST_BROKER_KIND=jvm-kafka exec scripts/with-kafka.sh bash -c 'LAB_TEST_BROKERS=$BROKERS exec go test -count=1 -parallel 16 -timeout 20m ./e2e/'
