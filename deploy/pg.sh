#!/usr/bin/env bash
# A throwaway PostgreSQL on a free loopback port, for tests and local clusters.
#   deploy/pg.sh start DIR   starts a server whose files live in DIR (created on first start, reused
#                            after a stop, on the same port); prints its connection string
#   deploy/pg.sh stop DIR    stops it (DIR is left for the caller to delete)
# PostgreSQL refuses to run as root, so as root the server runs as the "postgres" user.
# PG_EXTRA_CONF, when set on the first start, is appended to postgresql.conf (e.g. for profiling:
#   PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'").
set -euo pipefail

command=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  # Below the kernel's ephemeral range: a port there can be the local end of any outgoing
  # connection (the tests make thousands), which a connect probe cannot see and which makes
  # the server's bind fail with "Address already in use", at first start or at a restart.
  local port low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  for port in $(shuf -i 20000-$((low > 20100 ? low - 1 : 32767)) -n 200); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

case "$command" in
  start)
    bin=${PG_BIN:-$(find_bin)}
    if [[ -z "$bin" && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "PostgreSQL not found; installing it with apt-get" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
      bin=$(find_bin)
    fi
    [[ -x "$bin/initdb" ]] || { echo "PostgreSQL binaries not found (set PG_BIN)" >&2; exit 1; }
    if [[ $(id -u) == 0 ]] && ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    fi

    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres "$dir"
    if [[ -f "$dir/port" ]]; then
      port=$(cat "$dir/port")
    else
      port=$(free_port)
      as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
${PG_EXTRA_CONF:-}
CONF
      echo "$port" >"$dir/port"
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$bin" >"$dir/bin"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    if [[ -f "$dir/bin" && -d "$dir/data" ]]; then
      as_postgres "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
