#!/usr/bin/env bash
# with-kafka.sh CMD ARGS...: run CMD with Apache Kafka from the Maven jars
# (scripts/jvm-kafka.sh) started on free ports, BROKERS pointing at its
# plaintext listener and LAB_TEST_SASL_BROKERS at its SASL/SCRAM one, then stop
# it again, keeping its logs in .lab/test-kafka-PORT.
set -euo pipefail
lab=$(cd "$(dirname "$0")/.." && pwd)
cd "$lab"
source scripts/lib.sh

port=$(free_port)
cport=$(free_port)
sport=$(free_port)
export KAFKA_PORT=$port KAFKA_CONTROLLER_PORT=$cport KAFKA_SASL_PORT=$sport KAFKA_DIR=$lab/.lab/test-kafka-$port
# Stop it however CMD ends; keep its logs, drop its data.
trap 'scripts/jvm-kafka.sh down; rm -rf "$KAFKA_DIR/data"' EXIT
scripts/jvm-kafka.sh up
BROKERS=127.0.0.1:$port LAB_TEST_SASL_BROKERS=127.0.0.1:$sport "$@"
