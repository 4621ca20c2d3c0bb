#!/usr/bin/env bash
# Stops the broker started by scripts/kafka/start.sh (the process in its pid file, nothing else).
#
#   bash scripts/kafka/stop.sh          # SIGTERM: a clean shutdown, waits for it (KAFKA_STOP_TIMEOUT, default 60 s)
#   bash scripts/kafka/stop.sh --kill   # SIGKILL: simulates a crash (used by fault tests)
#
# Exits 0 when no broker of ours is running. The data directory is kept; delete
# $KAFKA_HOME_CACHE/data to start from an empty cluster.
set -euo pipefail
cache="${KAFKA_HOME_CACHE:-$HOME/.cache/playtally-kafka}"
# KAFKA_STATE_DIR: the private broker a fault test started (see start.sh).
pidfile="${KAFKA_STATE_DIR:-$cache}/kafka.pid"
timeout="${KAFKA_STOP_TIMEOUT:-60}"
signal=TERM
[ "${1:-}" = "--kill" ] && signal=KILL

say() { echo "kafka/stop: $*"; }

# Only a live process that is a Kafka broker counts: a stale pid file's pid may belong to another process.
is_broker() { kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; }

if [ ! -s "$pidfile" ] || ! is_broker "$(cat "$pidfile")"; then
  say "no broker of ours is running"
  rm -f "$pidfile"
  exit 0
fi
pid="$(cat "$pidfile")"
say "sending SIG$signal to the broker (pid $pid)"
kill -s "$signal" "$pid"
deadline=$((SECONDS + timeout))
while kill -0 "$pid" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "still running after ${timeout}s; sending SIGKILL" >&2
    kill -s KILL "$pid" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.5
done
rm -f "$pidfile"
say "stopped"
