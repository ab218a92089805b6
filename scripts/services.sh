#!/usr/bin/env bash
# Starts PostgreSQL and Redis on 127.0.0.1 when they are not already running (installing the
# Debian packages where they are missing). Tests fail, not skip, when a server is absent.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! port_open 6379; then
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
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

for i in $(seq 1 60); do
  if port_open 6379 && port_open 5432; then
    # The tests use the `test` database with trust auth on 127.0.0.1.
    if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
      psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null 2>&1 || true
    fi
    echo "services: redis and postgres are up"
    exit 0
  fi
  sleep 1
done
echo "services: redis or postgres did not come up" >&2
exit 1
