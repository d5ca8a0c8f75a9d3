#!/usr/bin/env bash
# A throwaway PostgreSQL from Debian's postgresql package, for the effect
# consumers' DATABASE_URL (no Docker, no system service touched).
#   scripts/postgres.sh up     initdb into PG_DIR if needed, start it on 127.0.0.1:PG_PORT, print DATABASE_URL
#   scripts/postgres.sh url    print the DATABASE_URL of the running one (for scripts: export DATABASE_URL=$(...))
#   scripts/postgres.sh down   stop it and delete PG_DIR
# PG_DIR (default .lab/postgres) holds its data, log and port. PG_PORT: the
# port to listen on (default: the one it had, else a free one). It listens on
# loopback only, with no Unix socket; user lab, password lab-pw, database
# kitchen (as docker-compose.yml's postgres service). PostgreSQL refuses to
# run as root, so as root it runs as the postgres user the package creates.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

dir=${PG_DIR:-.lab/postgres}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data
# Where the data went when the postgres user cannot reach PG_DIR (see up).
if [[ -f $dir/datadir ]]; then data=$(cat "$dir/datadir"); fi
log=$(dirname "$data")/postgres.log

pgbin=${PG_BIN:-}
if [[ -z $pgbin ]]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
need() {
  if [[ -z $pgbin || ! -x $pgbin/pg_ctl ]]; then
    echo "postgres-$1: PostgreSQL's programs were not found (looked in /usr/lib/postgresql/*/bin; PG_BIN names another folder)." >&2
    echo "  On Debian or Ubuntu: sudo apt-get install postgresql   (the lab starts its own server; the system service is not used)" >&2
    exit 1
  fi
}

# as_owner runs a PostgreSQL program as the user who owns the data: the
# caller, or postgres when the caller is root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "postgres: running as root, and there is no postgres user to run PostgreSQL as (it refuses root)" >&2
      exit 1
    fi
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() { [[ -f $data/postmaster.pid ]] && alive "$(head -1 "$data/postmaster.pid")"; }
url() { echo "postgres://lab:lab-pw@127.0.0.1:$(cat "$dir/port")/kitchen"; }


case "${1:-}" in
up)
  need up
  if running; then
    echo "postgres-up: already running (data in $(dirname "$data")); DATABASE_URL=$(url)"
    exit 0
  fi
  port=${PG_PORT:-}
  if [[ -z $port && -f $dir/port ]]; then port=$(cat "$dir/port"); fi
  if [[ -z $port ]]; then port=$(free_port); fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "postgres-up: something already listens on 127.0.0.1:$port; choose another PG_PORT" >&2
    exit 1
  fi
  echo "$port" >"$dir/port"
  if [[ $(id -u) -eq 0 && ! -f $dir/datadir ]] && id postgres >/dev/null 2>&1; then
    chown postgres "$dir"
    if ! runuser -u postgres -- test -x "$dir"; then
      # A folder above PG_DIR is closed to other users (a clone under
      # /root, a test's temporary folder): the server, running as postgres,
      # keeps its data in a folder of its own, which down deletes too.
      data=$(mktemp -d /tmp/offsets-lab-postgres.XXXXXX)
      chown postgres "$data"
      echo "$data" >"$dir/datadir"
      data=$data/data
      echo "$data" >"$dir/datadir"
      log=$(dirname "$data")/postgres.log
    fi
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    pw=$(mktemp)
    echo lab-pw >"$pw"
    chmod 644 "$pw"
    # Password authentication even on loopback, so that the lab's URL and
    # its errors are what they would be against a real server.
    if ! as_owner "$pgbin/initdb" -D "$data" -U lab --pwfile="$pw" -A scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
      rm -f "$pw"
      echo "postgres-up: initdb failed:" >&2
      sed 's/^/  /' "$dir/initdb.log" >&2
      exit 1
    fi
    rm -f "$pw"
    fresh=1
  fi
  # A server that was killed leaves its lock file behind, naming a process
  # that is gone (or a zombie, which PostgreSQL would take for a live server).
  rm -f "$data/postmaster.pid"
  if ! as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null; then
    echo "postgres-up: PostgreSQL did not start; its log:" >&2
    sed 's/^/  /' "$log" >&2
    exit 1
  fi
  if [[ -n ${fresh:-} ]]; then
    PGPASSWORD=lab-pw "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U lab kitchen
  fi
  echo "postgres-up: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data and log in $(dirname "$data"))"
  echo "DATABASE_URL=$(url)"
  ;;
url)
  if ! running; then
    echo "postgres-url: no lab PostgreSQL running in $dir; \`make postgres-up\` starts one" >&2
    exit 1
  fi
  url
  ;;
down)
  if [[ -n $pgbin ]] && running; then
    as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    echo "postgres-down: stopped, and deleted $dir"
  else
    echo "postgres-down: no lab PostgreSQL running in $dir (deleted what was left)"
  fi
  if [[ -f $dir/datadir ]]; then rm -rf "$(dirname "$(cat "$dir/datadir")")"; fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: scripts/postgres.sh up|url|down" >&2
  exit 2
  ;;
esac
