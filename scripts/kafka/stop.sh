#!/usr/bin/env bash
# Stops the broker started by scripts/kafka/start.sh (the process in its pid file, nothing else).
#
#   bash scripts/kafka/stop.sh          # SIGTERM: a clean shutdown, waits for it (KAFKA_STOP_TIMEOUT, default 60 s)
#   bash scripts/kafka/stop.sh --kill   # SIGKILL: simulates a crash (used by fault tests)
#
# Exits 0 when no broker of ours is running. The data directory is kept; delete
# $KAFKA_HOME_CACHE/data to start from an empty cluster.
set -euo pipefail
source "$(dirname "$0")/../lib/pidfile-service.sh"
cache="${KAFKA_HOME_CACHE:-$HOME/.cache/playtally-kafka}"
# KAFKA_STATE_DIR: the private broker a fault test started (see start.sh).
pidfile="${KAFKA_STATE_DIR:-$cache}/kafka.pid"
pattern='kafka\.Kafka'
say() { echo "kafka/stop: $*"; }
signal=TERM
[ "${1:-}" = "--kill" ] && signal=KILL
stop_service "$signal" "${KAFKA_STOP_TIMEOUT:-60}" broker
