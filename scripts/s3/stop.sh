#!/usr/bin/env bash
# Stops the S3Proxy started by scripts/s3/start.sh (the process in its pid file, nothing else).
#
#   bash scripts/s3/stop.sh          # SIGTERM: a clean shutdown, waits for it (S3PROXY_STOP_TIMEOUT, default 30 s)
#   bash scripts/s3/stop.sh --kill   # SIGKILL: simulates a crash
#
# Exits 0 when no S3Proxy of ours is running. The buckets are kept; delete
# $S3PROXY_HOME_CACHE/data to start from an empty server.
set -euo pipefail
source "$(dirname "$0")/../lib/pidfile-service.sh"
cache="${S3PROXY_HOME_CACHE:-$HOME/.cache/playtally-s3}"
pidfile="$cache/s3proxy.pid"
pattern='org\.gaul\.s3proxy|s3proxy-.*\.jar'
say() { echo "s3/stop: $*"; }
signal=TERM
[ "${1:-}" = "--kill" ] && signal=KILL
stop_service "$signal" "${S3PROXY_STOP_TIMEOUT:-30}" S3Proxy
