#!/usr/bin/env bash
# Makes sure the services the tests talk to are up on loopback, starting any that are down:
# Redis, PostgreSQL, RabbitMQ, Kafka (scripts/kafka) and S3Proxy (scripts/s3).
# Used by .ci/run; safe to run by hand. Each check is a real TCP connection.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds
  for _ in $(seq 1 "$3"); do port_open "$1" && return 0; sleep 1; done
  echo "ensure-services: $2 did not come up on 127.0.0.1:$1" >&2; return 1
}

status=0
if ! port_open 6379; then
  echo "ensure-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379 Redis 30 || status=1
fi
if ! port_open 5432; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_port 5432 PostgreSQL 60 || status=1
fi
if ! port_open 5672 || ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "ensure-services: starting RabbitMQ"
  rabbitmq-server -detached 2>/dev/null || true
  rabbitmqctl -q start_app >/dev/null 2>&1 || true
  wait_port 5672 RabbitMQ 90 || status=1
fi
if [ -x "$here/kafka/start.sh" ]; then
  bash "$here/kafka/start.sh" || status=1
fi
if [ -x "$here/s3/start.sh" ]; then
  bash "$here/s3/start.sh" || status=1
fi
exit $status
