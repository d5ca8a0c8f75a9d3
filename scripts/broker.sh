#!/usr/bin/env bash
# Starts or stops the embedded broker (bin/broker) in the background.
#   scripts/broker.sh up     start it, wait until it answers, refuse a second one
#   scripts/broker.sh down   stop it (SIGTERM: it saves its state first)
# BROKER_PORT (default 9092) and BROKER_DATA (default .lab/broker-data) as for bin/broker;
# its pid and output go to BROKER_PIDFILE and BROKER_LOGFILE (default .lab/broker.pid, .lab/broker.log).
# LAB_BIN (default bin, where make builds them) is where bin/broker and bin/admin are.
set -euo pipefail
# The certificate, key and password files are named from where make runs
# (BROKER_DATA and the pid and log files, as ever, from the lab's folder).
for v in BROKER_TLS_CERT BROKER_TLS_KEY SASL_PASSWORD_FILE; do
  if [[ -n ${!v:-} && ${!v} != /* ]]; then export "$v=$PWD/${!v}"; fi
done
cd "$(dirname "$0")/.."
source scripts/lib.sh

port=${BROKER_PORT:-9092}
bin=${LAB_BIN:-bin}
pidfile=${BROKER_PIDFILE:-.lab/broker.pid}
logfile=${BROKER_LOGFILE:-.lab/broker.log}
mkdir -p .lab "$(dirname "$pidfile")" "$(dirname "$logfile")"

running() { [[ -f $pidfile ]] && alive "$(cat "$pidfile")"; }

case "${1:-}" in
up)
  if running; then
    echo "broker-up: the embedded broker is already running (pid $(cat $pidfile)); \`make broker-down\` stops it" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "broker-up: something already listens on 127.0.0.1:$port (another broker?); stop it or choose BROKER_PORT" >&2
    exit 1
  fi
  BROKER_PORT=$port nohup "$bin/broker" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 50); do
    if ! running; then
      echo "broker-up: the broker exited at once:" >&2
      sed 's/^/  /' "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    if [[ -n ${BROKER_SASL:-}${BROKER_TLS_CERT:-} ]]; then
      # A secured broker lets in only clients with its CA and a user:
      # that it listens is what it says once it does.
      if grep -q "listening on" "$logfile"; then
        echo "broker-up: embedded broker listening on 127.0.0.1:$port (pid $(cat $pidfile), log $logfile):$(sed -n 's/.*listening on [^ ]*\(.*\), state in.*/\1/p' "$logfile")"
        exit 0
      fi
    elif BROKERS=127.0.0.1:$port no_login "$bin/admin" ping >/dev/null 2>&1; then
      echo "broker-up: embedded broker answering on 127.0.0.1:$port (pid $(cat $pidfile), log $logfile)"
      exit 0
    fi
    sleep 0.2
  done
  echo "broker-up: the broker did not answer within 10s; its log:" >&2
  sed 's/^/  /' "$logfile" >&2
  exit 1
  ;;
down)
  if ! running; then
    echo "broker-down: no embedded broker running (no live pid in $pidfile)"
    rm -f "$pidfile"
    exit 0
  fi
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 100); do
    alive "$pid" || { rm -f "$pidfile"; echo "broker-down: stopped (pid $pid), state kept in ${BROKER_DATA:-.lab/broker-data}"; exit 0; }
    sleep 0.2
  done
  echo "broker-down: pid $pid did not stop within 20s" >&2
  exit 1
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 2
  ;;
esac
