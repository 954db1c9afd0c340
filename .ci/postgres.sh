#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1 for the tests (and the measurements).
#
#   eval "$(bash .ci/postgres.sh start)"    # prints export LANEDESK_TEST_POSTGRES=... and LANEDESK_PG_DIR=...
#   cargo test
#   bash .ci/postgres.sh stop "$LANEDESK_PG_DIR"
#
# Installs Debian's `postgresql` package when no server binaries are found (needs root),
# makes a cluster in a temporary folder (as the `postgres` user when run as root: initdb
# refuses root), starts it on a free port on 127.0.0.1 only, with trust authentication for
# local connections, and prints the URL. The tests create and drop a database each.
# Everything the script says goes to stderr; stdout carries only the exports.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  # Debian keeps the server binaries out of PATH, one folder per major version.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return
    fi
  done
  return 1
}

start() {
  local bindir dir port user run
  if ! bindir=$(find_bindir); then
    if [ "$(id -u)" != 0 ]; then
      say "no PostgreSQL server binaries (initdb, pg_ctl) found; install Debian's postgresql package"
      exit 1
    fi
    say "installing postgresql (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    # The package starts its own cluster on 5432; ours is separate and on another port.
    bindir=$(find_bindir)
  fi
  dir=${1:-$(mktemp -d /tmp/lanedesk-pg.XXXXXX)}
  mkdir -p "$dir"
  run=()
  user=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" --shell /usr/sbin/nologin postgres
    chown postgres "$dir"
    chmod 700 "$dir"
    run=(runuser -u postgres --)
    user=postgres
  fi
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  "${run[@]}" "$bindir/initdb" -D "$dir/data" --auth=trust --username=postgres \
    --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  # Several test binaries run at once, each with services of several pooled connections.
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=400" \
    start >&2 || {
    cat "$dir/server.log" >&2
    exit 1
  }
  say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir/data (as $user)"
  echo "export LANEDESK_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
  echo "export LANEDESK_PG_DIR=$dir"
}

stop() {
  local dir=${1:?give the folder start printed as LANEDESK_PG_DIR} bindir run=()
  bindir=$(find_bindir)
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: bash .ci/postgres.sh start [DIR] | stop DIR" >&2; exit 2 ;;
esac
