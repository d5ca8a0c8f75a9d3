# Helpers the lab's scripts source (not run on its own).

# alive PID: the process exists and one of its threads is not a zombie. A
# process killed with SIGKILL stays a zombie until its parent reaps it, and
# kill -0 succeeds on a zombie, so kill -0 alone would call a dead server
# "running". The main thread alone is not enough either: a killed JVM's main
# thread turns zombie while its other threads are still exiting, and they
# hold its sockets (measured: Kafka's port still answered then). Without
# /proc (macOS), kill -0 is all there is.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ -d /proc/$1/task ]] || return 0
  local f st
  for f in "/proc/$1/task/"*/stat; do
    st=$(cat "$f" 2>/dev/null) || continue
    st=${st##*) }
    [[ ${st%% *} == Z ]] || return 0
  done
  return 1
}

# no_login CMD ARGS: CMD without the SASL and TLS settings this shell may hold
# for a secured cluster (the lab's scripts ping their own plaintext brokers).
no_login() { env -u SASL_MECHANISM -u SASL_USER -u SASL_PASSWORD -u SASL_PASSWORD_FILE -u TLS -u TLS_CA -u TLS_SERVER_NAME -u LEARNER "$@"; }

# free_port: a port nothing listens on, on 127.0.0.1, below the kernel's
# ephemeral range (32768 up): one from that range can become an outgoing
# connection's source port while its server is down, and a restart then
# cannot bind it.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found on 127.0.0.1" >&2
  return 1
}
