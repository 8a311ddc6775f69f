#!/usr/bin/env bash
# A local OrleansJobs cluster: a throwaway PostgreSQL and N silo processes on loopback ports.
#   deploy/cluster.sh start [N]   builds the Silo, starts PostgreSQL and N silos (default 3)
#   deploy/cluster.sh stop        stops the silos (SIGTERM: running jobs finish), then PostgreSQL
#   deploy/cluster.sh status      shows what runs
# Silo i (0-based) listens on silo port 11111+i, gateway 30000+i, HTTP 5080+i (/health/ready).
# State, logs and the database live in $ORLEANSJOBS_CLUSTER_DIR (default /tmp/orleansjobs-cluster);
# stop leaves them there, and the next start reuses the database.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${ORLEANSJOBS_CLUSTER_DIR:-/tmp/orleansjobs-cluster}
command=${1:-status}

silo_pids() { ls "$dir"/silo-*.pid 2>/dev/null || true; }

case "$command" in
  start)
    count=${2:-3}
    mkdir -p "$dir"
    dotnet build "$root/Silo/Silo.csproj" -c Release -nologo -v quiet >/dev/null
    connection=$(bash "$root/deploy/pg.sh" start "$dir/postgres")
    echo "$connection" >"$dir/connection"
    echo "PostgreSQL: $connection"
    # One admin key for every silo of the local cluster, readable only by its owner.
    (umask 077 && openssl rand -hex 32 >"$dir/admin.key")
    echo "Admin key: in $dir/admin.key"
    for ((i = 0; i < count; i++)); do
      (
        cd "$root/Silo/bin/Release/net10.0"
        OrleansJobs__Storage=Postgres ConnectionStrings__OrleansJobs="$connection" OrleansJobs__Http__AdminKey="$(cat "$dir/admin.key")" \
          nohup dotnet OrleansJobs.Silo.dll \
            --OrleansJobs:SiloPort=$((11111 + i)) --OrleansJobs:GatewayPort=$((30000 + i)) \
            --Urls=http://127.0.0.1:$((5080 + i)) >"$dir/silo-$i.log" 2>&1 &
        echo $! >"$dir/silo-$i.pid"
      )
    done
    for ((i = 0; i < count; i++)); do
      for _ in $(seq 1 120); do
        curl -sf "http://127.0.0.1:$((5080 + i))/health/ready" >/dev/null 2>&1 && break
        sleep 0.5
      done
      if curl -sf "http://127.0.0.1:$((5080 + i))/health/ready" >/dev/null 2>&1; then
        echo "silo $i ready: gateway 127.0.0.1:$((30000 + i)), http://127.0.0.1:$((5080 + i)) (log $dir/silo-$i.log)"
      else
        echo "silo $i did not become ready; see $dir/silo-$i.log" >&2
        exit 1
      fi
    done
    ;;
  stop)
    for pidfile in $(silo_pids); do
      kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    done
    for pidfile in $(silo_pids); do
      while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
      rm -f "$pidfile"
    done
    bash "$root/deploy/pg.sh" stop "$dir/postgres"
    echo "stopped"
    ;;
  status)
    [[ -f "$dir/connection" ]] && echo "PostgreSQL: $(cat "$dir/connection")"
    for pidfile in $(silo_pids); do
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then echo "$(basename "$pidfile" .pid): running (pid $pid)"; else echo "$(basename "$pidfile" .pid): not running"; fi
    done
    ;;
  *)
    echo "usage: cluster.sh start [N] | stop | status" >&2
    exit 2
    ;;
esac
