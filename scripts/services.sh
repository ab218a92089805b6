#!/usr/bin/env bash
# Starts PostgreSQL, Redis and a 3-master Redis Cluster on 127.0.0.1 when they are not already running (installing the
# Debian packages where they are missing). Tests fail, not skip, when a server is absent.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
}

if ! port_open 6379; then
  need_redis
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

# A 3-master Redis Cluster (no replicas) on 7101-7103 for the store's cluster tests, which read
# REDIS_CLUSTER_URL (default redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103).
# Its node files live in REDIS_CLUSTER_DIR; the data is disposable (no RDB, no AOF).
CLUSTER_PORTS=(7101 7102 7103)
CLUSTER_DIR=${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/connect-jwt-redis-cluster}

cluster_node() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }
cluster_ok() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    cluster_node "$port" cluster info | grep -q '^cluster_state:ok' || return 1
  done
}
wait_cluster_ok() {
  local i
  for i in $(seq 1 "$1"); do
    cluster_ok && return 0
    sleep 0.5
  done
  return 1
}

start_cluster() {
  local port i
  cluster_ok && return 0
  need_redis
  mkdir -p "$CLUSTER_DIR"
  for port in "${CLUSTER_PORTS[@]}"; do
    port_open "$port" && continue
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$CLUSTER_DIR/nodes-$port.conf" --dir "$CLUSTER_DIR" \
      --save "" --appendonly no --daemonize yes --logfile "$CLUSTER_DIR/redis-$port.log" 9>&-
  done
  for i in $(seq 1 40); do
    port_open 7101 && port_open 7102 && port_open 7103 && break
    sleep 0.25
  done
  # Nodes restarted from their node files rejoin the cluster they knew: give them a moment.
  if [ "$(cluster_node 7101 cluster info | grep -c '^cluster_known_nodes:1\b')" = 0 ] && wait_cluster_ok 10; then
    return 0
  fi
  # Fresh nodes, or a cluster left half-made: start over (test data only, never kept).
  for port in "${CLUSTER_PORTS[@]}"; do
    cluster_node "$port" flushall >/dev/null
    cluster_node "$port" cluster reset hard >/dev/null
  done
  redis-cli --cluster create "${CLUSTER_PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
  wait_cluster_ok 60
}

# Two runs at once (parallel test sessions) would both try to create the cluster: one at a time
# (the servers must not inherit the lock: `9>&-` above).
mkdir -p "$CLUSTER_DIR"
exec 9>"$CLUSTER_DIR/.lock"
flock 9 2>/dev/null || true
if ! start_cluster; then
  echo "services: the Redis Cluster on ${CLUSTER_PORTS[*]} did not reach cluster_state:ok (logs in $CLUSTER_DIR)" >&2
  exit 1
fi
exec 9>&-

for i in $(seq 1 60); do
  if port_open 6379 && port_open 5432; then
    # The tests use the `test` database with trust auth on 127.0.0.1.
    if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
      psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null 2>&1 || true
    fi
    echo "services: redis, the redis cluster (7101-7103) and postgres are up"
    exit 0
  fi
  sleep 1
done
echo "services: redis or postgres did not come up" >&2
exit 1
