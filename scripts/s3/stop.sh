#!/usr/bin/env bash
# Stops the S3Proxy started by scripts/s3/start.sh (the process in its pid file, nothing else).
#
#   bash scripts/s3/stop.sh          # SIGTERM: a clean shutdown, waits for it (S3PROXY_STOP_TIMEOUT, default 30 s)
#   bash scripts/s3/stop.sh --kill   # SIGKILL: simulates a crash
#
# Exits 0 when no S3Proxy of ours is running. The buckets are kept; delete
# $S3PROXY_HOME_CACHE/data to start from an empty server.
set -euo pipefail
cache="${S3PROXY_HOME_CACHE:-$HOME/.cache/playtally-s3}"
pidfile="$cache/s3proxy.pid"
timeout="${S3PROXY_STOP_TIMEOUT:-30}"
signal=TERM
[ "${1:-}" = "--kill" ] && signal=KILL

say() { echo "s3/stop: $*"; }

# Only a live process that is S3Proxy counts: a stale pid file's pid may belong to another process.
is_s3proxy() { kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'org\.gaul\.s3proxy\|s3proxy-.*\.jar'; }

if [ ! -s "$pidfile" ] || ! is_s3proxy "$(cat "$pidfile")"; then
  say "no S3Proxy of ours is running"
  rm -f "$pidfile"
  exit 0
fi
pid="$(cat "$pidfile")"
say "sending SIG$signal to S3Proxy (pid $pid)"
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
