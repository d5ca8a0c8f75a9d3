#!/usr/bin/env bash
# Real Apache Kafka without Docker: one KRaft node (broker and controller in
# one JVM) from the official jars on Maven Central, for machines with Java 17+.
#
#   scripts/jvm-kafka.sh up      fetch the jars once, format the storage, start, wait until it answers
#   scripts/jvm-kafka.sh down    stop it by its own pid (SIGTERM, then SIGKILL after 30s)
#   scripts/jvm-kafka.sh jars    only fetch the jars (prints their folder)
#   scripts/jvm-kafka.sh tool CLASS ARGS...   run one of Kafka's own tools from the same jars, e.g.
#        tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server 127.0.0.1:9092 --list
#
# KAFKA_PORT (default 9092): the client port, on 127.0.0.1.
# KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1): the KRaft controller port.
# KAFKA_DIR (default .lab/jvm-kafka-PORT): its data, server.properties, pid and logs (server.log, kafka.out).
# The jars are cached in ${XDG_CACHE_HOME:-~/.cache}/offsets-lab/kafka-VERSION, shared by every run.
# LAB_BIN (default the lab's bin/, built with make if missing) is where bin/admin is, to check it answers.
set -euo pipefail
lab=$(cd "$(dirname "$0")/.." && pwd)
source "$lab/scripts/lib.sh"

version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$lab/scripts/jvm-kafka/pom.xml")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/offsets-lab/kafka-$version
lib=$cache/lib
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
dir=${KAFKA_DIR:-$lab/.lab/jvm-kafka-$port}
pidfile=$dir/kafka.pid

say() { echo "jvm-kafka: $*"; }
die() { echo "jvm-kafka: $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null || die "no java on PATH: Apache Kafka $version needs Java 17 or newer"
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | sed -n 1p)
  [[ -n $v && $v -ge 17 ]] || die "java is version ${v:-unknown}; Apache Kafka $version needs 17 or newer"
}

jars() {
  [[ -f $lib/.complete ]] && return
  command -v mvn >/dev/null || die "no mvn on PATH: the Kafka jars come from Maven Central through Maven"
  say "fetching Apache Kafka $version and its dependencies from Maven Central into $lib (once)"
  rm -rf "$lib.tmp"
  mvn -q -B -f "$lab/scripts/jvm-kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib.tmp" >&2 || die "mvn could not fetch the Kafka jars"
  rm -rf "$lib"
  mv "$lib.tmp" "$lib"
  touch "$lib/.complete"
}

jvm=(java -Xms256m -Xmx768m "-Dkafka.logs.dir=$dir" "-Dlog4j2.configurationFile=$lab/scripts/jvm-kafka/log4j2.xml" -cp "$lib/*")
java_cmd() { "${jvm[@]}" "$@"; }

running() { [[ -f $pidfile ]] && alive "$(cat "$pidfile")"; }

bin=${LAB_BIN:-$lab/bin}
answers() { BROKERS=127.0.0.1:$port "$bin/admin" ping >/dev/null 2>&1; }

up() {
  need_java
  jars
  [[ -x $bin/admin ]] || (cd "$lab" && make -s build)
  if running; then die "already running on port $port (pid $(cat "$pidfile")); \`make jvm-kafka-down\` stops it"; fi
  for p in "$port" "$cport"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "something already listens on 127.0.0.1:$p; stop it or choose KAFKA_PORT / KAFKA_CONTROLLER_PORT"; fi
  done
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/jvm-kafka.sh: one node that is both broker and KRaft controller.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$dir/data
# One broker: the internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# A lab broker: a small offsets topic starts fast; the first rebalance is not
# delayed waiting for more members; topics exist only when the lab creates them.
offsets.topic.num.partitions=3
group.initial.rebalance.delay.ms=0
num.partitions=3
auto.create.topics.enable=false
EOF
  if [[ ! -f $dir/data/meta.properties ]]; then
    java_cmd kafka.tools.StorageTool format --standalone -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$dir/format.out" 2>&1 || { cat "$dir/format.out" >&2; die "formatting the storage failed"; }
  fi
  nohup "${jvm[@]}" kafka.Kafka "$dir/server.properties" >"$dir/kafka.out" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 120); do
    if ! running; then
      tail -20 "$dir/kafka.out" "$dir/server.log" 2>/dev/null >&2
      rm -f "$pidfile"
      die "Kafka exited during start-up (above: the end of its output)"
    fi
    if answers; then
      say "Apache Kafka $version answering on 127.0.0.1:$port (pid $(cat "$pidfile"), logs in $dir)"
      return
    fi
    sleep 0.5
  done
  die "Kafka did not answer on 127.0.0.1:$port within 60s; logs in $dir"
}

down() {
  if ! running; then
    say "not running on port $port (no live pid in $pidfile)"
    rm -f "$pidfile"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 60); do
    alive "$pid" || { rm -f "$pidfile"; say "stopped (pid $pid); data and logs kept in $dir"; return; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  say "pid $pid did not stop within 30s: killed"
}

case "${1:-}" in
up) up ;;
down) down ;;
jars) need_java; jars; echo "$lib" ;;
tool) shift; need_java; jars; java_cmd "$@" ;;
*) echo "usage: $0 up|down|jars|tool CLASS ARGS..." >&2; exit 2 ;;
esac
