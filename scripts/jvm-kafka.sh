#!/usr/bin/env bash
# Real Apache Kafka without Docker: one KRaft node (broker and controller in
# one JVM) from the official jars on Maven Central, for machines with Java 17+.
#
#   scripts/jvm-kafka.sh up      fetch the jars once, format the storage, start, wait until it answers
#   scripts/jvm-kafka.sh down    stop it by its own pid (SIGTERM, then SIGKILL after 30s)
#   scripts/jvm-kafka.sh jars    only fetch the jars (prints their folder)
#   scripts/jvm-kafka.sh node-kill N   SIGKILL node N (NODES=3: a broker failing), node-up N: start it again
#   scripts/jvm-kafka.sh tool CLASS ARGS...   run one of Kafka's own tools from the same jars, e.g.
#        tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server 127.0.0.1:9092 --list
#
# KAFKA_PORT (default 9092): the client port.
# KAFKA_HOST (default 127.0.0.1): the address the client listeners bind to and advertise; a class's
#   machine gives its network address so that the learners' laptops reach it (the controllers stay on loopback).
# NODES (default 1; or 3): how many nodes, each broker and KRaft controller; node i on
#   KAFKA_PORT+i-1 and KAFKA_CONTROLLER_PORT+i-1, its files in KAFKA_DIR/node-i.
# KAFKA_CONTROLLER_PORT (default KAFKA_PORT+NODES): the (first) KRaft controller port.
# KAFKA_SASL_PORT (default none): also a SASL_PLAINTEXT listener with SCRAM-SHA-256 and -512, node i on
#   KAFKA_SASL_PORT+i-1 (a secured cluster's login, without TLS). Users are created with
#   `make user-add NEW_USER=alice` (bin/admin user-add) on the plaintext port.
# KAFKA_SESSION_TIMEOUT_MS (default Kafka's 45000): how long a KIP-848 or share group member that stopped
#   heartbeating (a crash) keeps its partitions and its static id; heartbeats come every third of it (at most
#   5000). Kafka allows no less than 45000 by default (group.consumer.min.session.timeout.ms,
#   group.share.min.session.timeout.ms): the lab's Kafka lowers those minimums to 6000 (or
#   KAFKA_SESSION_TIMEOUT_MS if less), and the heartbeats' to 2000, so that a group's own SESSION_TIMEOUT
#   can be 6 s. The lab's tests use 6000.
# KAFKA_DIR (default .lab/jvm-kafka-PORT): its data, server.properties, pid and logs (server.log, kafka.out).
# The jars are cached in ${XDG_CACHE_HOME:-~/.cache}/offsets-lab/kafka-VERSION, shared by every run.
# LAB_BIN (default the lab's bin/, built with make if missing) is where bin/admin is, to check it answers.
set -Eeuo pipefail
# A command that fails under set -e would end the script without a word.
trap 'echo "jvm-kafka: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
lab=$(cd "$(dirname "$0")/.." && pwd)
source "$lab/scripts/lib.sh"

version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$lab/scripts/jvm-kafka/pom.xml")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/offsets-lab/kafka-$version
lib=$cache/lib
port=${KAFKA_PORT:-9092}
nodes=${NODES:-1}
[[ $nodes == 1 || $nodes == 3 ]] || { echo "jvm-kafka: NODES=$nodes: want 1 or 3" >&2; exit 2; }
cport=${KAFKA_CONTROLLER_PORT:-$((port + nodes))}
sport=${KAFKA_SASL_PORT:-}
host=${KAFKA_HOST:-127.0.0.1}
session=${KAFKA_SESSION_TIMEOUT_MS:-45000}
[[ $session =~ ^[0-9]+$ && $session -ge 3000 && $session -le 60000 ]] || { echo "jvm-kafka: KAFKA_SESSION_TIMEOUT_MS=$session: want milliseconds from 3000 to 60000" >&2; exit 2; }
dir=${KAFKA_DIR:-$lab/.lab/jvm-kafka-$port}
pidfile=$dir/kafka.pid

# Node i (1..NODES) listens for clients on KAFKA_PORT+i-1 and for the KRaft
# quorum on KAFKA_CONTROLLER_PORT+i-1; one node keeps its files in KAFKA_DIR,
# several in KAFKA_DIR/node-i.
node_dir() { if [[ $nodes == 1 ]]; then echo "$dir"; else echo "$dir/node-$1"; fi; }

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

jvm=(java -Xms256m -Xmx768m "-Dlog4j2.configurationFile=$lab/scripts/jvm-kafka/log4j2.xml" -cp "$lib/*")
java_cmd() { "${jvm[@]}" "-Dkafka.logs.dir=$dir" "$@"; }

# running [NODE]: that node's process (default: the first) is alive.
running() { local f; f=$(node_dir "${1:-1}")/kafka.pid; [[ -f $f ]] && alive "$(cat "$f")"; }

bin=${LAB_BIN:-$lab/bin}
# plain_admin ARGS: bin/admin on the plaintext listener, whatever SASL or TLS
# settings the shell has for the lab's own commands.
plain_admin() { no_login "$bin/admin" "$@"; }
answers() { BROKERS=$host:$port plain_admin ping >/dev/null 2>&1; }

# props NODE: the node's server.properties.
props() {
  local i=$1 nd voters="" v
  nd=$(node_dir "$i")
  for v in $(seq "$nodes"); do voters+="${voters:+,}$v@127.0.0.1:$((cport + v - 1))"; done
  cat <<EOF
# Written by scripts/jvm-kafka.sh: node $i of $nodes, broker and KRaft controller in one JVM.
process.roles=broker,controller
node.id=$i
listeners=PLAINTEXT://$host:$((port + i - 1)),CONTROLLER://127.0.0.1:$((cport + i - 1))${sport:+,SASL_PLAINTEXT://$host:$((sport + i - 1))}
advertised.listeners=PLAINTEXT://$host:$((port + i - 1))${sport:+,SASL_PLAINTEXT://$host:$((sport + i - 1))}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
log.dirs=$nd/data
# The first rebalance is not delayed waiting for more members; topics exist
# only when the lab creates them.
group.initial.rebalance.delay.ms=0
num.partitions=3
auto.create.topics.enable=false
EOF
  local beat=$((session / 3 < 5000 ? session / 3 : 5000))
  local minsession=$((session < 6000 ? session : 6000)) minbeat=$((beat < 2000 ? beat : 2000))
  cat <<EOF
# KAFKA_SESSION_TIMEOUT_MS: a crashed KIP-848 or share group member keeps its
# partitions (and static id) for $session ms (Kafka's default 45000), heartbeats
# every $beat ms. The minimums (Kafka's 45000 and 5000) are lowered so that a
# group's own session (SESSION_TIMEOUT: consumer.session.timeout.ms) can be as
# short as the lab's 6 s, with three heartbeats in it.
group.consumer.session.timeout.ms=$session
group.consumer.min.session.timeout.ms=$minsession
group.consumer.heartbeat.interval.ms=$beat
group.consumer.min.heartbeat.interval.ms=$minbeat
group.share.session.timeout.ms=$session
group.share.min.session.timeout.ms=$minsession
group.share.heartbeat.interval.ms=$beat
group.share.min.heartbeat.interval.ms=$minbeat
EOF
  if [[ -n $sport ]]; then
    cat <<EOF
# KAFKA_SASL_PORT: clients log in with SCRAM; the users live in the cluster's
# metadata (admin user-add), only their salted hashes.
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
  fi
  if [[ $nodes == 1 ]]; then
    cat <<EOF
controller.quorum.bootstrap.servers=127.0.0.1:$cport
# One broker: the internal topics cannot have more than one replica; a small
# offsets topic starts fast.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
offsets.topic.num.partitions=3
# Share groups (KIP-932; the share.version feature is on by default in 4.3)
# keep their state in __share_group_state, 3 replicas by default: on one node
# its creation fails, and a share consumer waits forever without a word.
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
  else
    cat <<EOF
controller.quorum.voters=$voters
# As a real cluster has it: __consumer_offsets with Kafka's default 50
# partitions, every internal topic on all three nodes, and a write with
# acks=all acknowledged once two replicas have it.
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
min.insync.replicas=2
EOF
  fi
}

# start_node I: node I's JVM, in the background, its pid in its folder.
start_node() {
  local nd
  nd=$(node_dir "$1")
  nohup "${jvm[@]}" "-Dkafka.logs.dir=$nd" kafka.Kafka "$nd/server.properties" >>"$nd/kafka.out" 2>&1 &
  echo $! >"$nd/kafka.pid"
}

# node_kill I: SIGKILL node I, as a machine that dies would: no clean
# shutdown, no leadership handed over; the others find out by timeouts.
node_kill() {
  local i=$1 nd pid
  [[ $i =~ ^[0-9]+$ && $i -ge 1 && $i -le $nodes ]] || die "NODE=$i: want 1 to $nodes"
  nd=$(node_dir "$i")
  running "$i" || die "node $i is not running"
  pid=$(cat "$nd/kafka.pid")
  kill -KILL "$pid"
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  rm -f "$nd/kafka.pid"
  say "node $i (pid $pid, port $((port + i - 1))) SIGKILLed"
}

# node_up I: start node I again (after node-kill) with its data as it was,
# and wait until it answers.
node_up() {
  local i=$1
  [[ $i =~ ^[0-9]+$ && $i -ge 1 && $i -le $nodes ]] || die "NODE=$i: want 1 to $nodes"
  running "$i" && die "node $i is already running"
  [[ -f $(node_dir "$i")/server.properties ]] || die "node $i was never set up here: \`make jvm-kafka-up\` first"
  need_java
  start_node "$i"
  for _ in $(seq 120); do
    if ! running "$i"; then
      tail -20 "$(node_dir "$i")/kafka.out" "$(node_dir "$i")/server.log" 2>/dev/null >&2
      die "node $i exited during start-up (above: the end of its output and log)"
    fi
    if BROKERS=$host:$((port + i - 1)) plain_admin ping >/dev/null 2>&1; then
      say "node $i (pid $(cat "$(node_dir "$i")/kafka.pid")) answering on $host:$((port + i - 1)) again"
      return
    fi
    sleep 0.5
  done
  die "node $i did not answer within 60s"
}

up() {
  need_java
  jars
  [[ -x $bin/admin ]] || (cd "$lab" && make -s build)
  if running; then die "already running on port $port (pid $(cat "$(node_dir 1)/kafka.pid")); \`make jvm-kafka-down\` stops it"; fi
  local i p nd cid="" answering
  for i in $(seq "$nodes"); do
    for p in $((port + i - 1)) $((cport + i - 1)) ${sport:+$((sport + i - 1))}; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "something already listens on 127.0.0.1:$p; stop it or choose KAFKA_PORT / KAFKA_CONTROLLER_PORT"; fi
    done
  done
  for i in $(seq "$nodes"); do
    nd=$(node_dir "$i")
    mkdir -p "$nd/data"
    props "$i" >"$nd/server.properties"
    if [[ ! -f $nd/data/meta.properties ]]; then
      # One cluster id for every node of the cluster.
      [[ -n $cid ]] || cid=$(cat "$dir/cluster-id" 2>/dev/null || java_cmd kafka.tools.StorageTool random-uuid)
      echo "$cid" >"$dir/cluster-id"
      local standalone=()
      [[ $nodes == 1 ]] && standalone=(--standalone)
      java_cmd kafka.tools.StorageTool format "${standalone[@]}" -t "$cid" -c "$nd/server.properties" >"$nd/format.out" 2>&1 ||
        { cat "$nd/format.out" >&2; die "formatting the storage of node $i failed"; }
    fi
    start_node "$i"
  done
  for _ in $(seq 120); do
    answering=0
    for i in $(seq "$nodes"); do
      nd=$(node_dir "$i")
      if ! running "$i"; then
        tail -20 "$nd/kafka.out" "$nd/server.log" 2>/dev/null >&2
        rm -f "$nd/kafka.pid"
        die "Kafka node $i exited during start-up (above: the end of its output)"
      fi
      BROKERS=$host:$((port + i - 1)) plain_admin ping >/dev/null 2>&1 && answering=$((answering + 1))
    done
    if [[ $answering == "$nodes" ]]; then
      if [[ $nodes == 1 ]]; then
        say "Apache Kafka $version answering on $host:$port (pid $(cat "$pidfile"), logs in $dir)"
        say "KIP-848 and share group sessions $session ms (KAFKA_SESSION_TIMEOUT_MS); their minimums lowered from Kafka's 45000 to $((session < 6000 ? session : 6000)) ms, so that SESSION_TIMEOUT can be short"
      else
        say "Apache Kafka $version, $nodes nodes, answering on $host:$port to $((port + nodes - 1)) (logs in $dir/node-*): BROKERS=$host:$port,$host:$((port + 1)),$host:$((port + 2))"
      fi
      local sports=$sport
      [[ $nodes == 1 ]] || sports="$sport to $((sport + nodes - 1))"
      [[ -z $sport ]] || say "SASL/SCRAM listener on $host:$sports: create users with \`BROKERS=$host:$port NEW_USER=alice NEW_PASSWORD=... make user-add\`, then BROKERS=$host:$sport SASL_MECHANISM=SCRAM-SHA-256"
      return
    fi
    sleep 0.5
  done
  die "Kafka did not answer on $host:$port within 60s; logs in $dir"
}

down() {
  local i nd pid any=0
  # Every node at once: the last one left alone would wait for a quorum of
  # controllers that is gone before it shuts down.
  for i in $(seq "$nodes"); do
    running "$i" && kill -TERM "$(cat "$(node_dir "$i")/kafka.pid")"
  done
  for i in $(seq "$nodes"); do
    nd=$(node_dir "$i")
    if [[ ! -f $nd/kafka.pid ]]; then
      continue
    fi
    any=1
    pid=$(cat "$nd/kafka.pid")
    for _ in $(seq 60); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      say "node $i (pid $pid) did not stop within 30s: killed"
    else
      local who="(pid $pid)"
      [[ $nodes == 1 ]] || who="node $i (pid $pid)"
      say "stopped $who; data and logs kept in $nd"
    fi
    rm -f "$nd/kafka.pid"
  done
  [[ $any == 1 ]] || say "not running on port $port (no live pid in $(node_dir 1)/kafka.pid)"
}

case "${1:-}" in
up) up ;;
down) down ;;
jars) need_java; jars; echo "$lib" ;;
tool) shift; need_java; jars; java_cmd "$@" ;;
node-kill) node_kill "${2:-${NODE:-}}" ;;
node-up) node_up "${2:-${NODE:-}}" ;;
*) echo "usage: $0 up|down|jars|node-kill N|node-up N|tool CLASS ARGS..." >&2; exit 2 ;;
esac
