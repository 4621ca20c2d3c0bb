#!/usr/bin/env bash
# Shows what playtally keeps on Redis: one stream per topic (`<keyPrefix><topic>`, dead letters in
# `<topic>.dead-letter`), one consumer group per durable group, the pending entries list of each
# group (delivered, not yet acknowledged). Read-only unless the `create` command is given.
set -euo pipefail
shopt -s inherit_errexit
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() {
  cat <<'EOF'
Usage: scripts/inspect/redis.sh [command] [--filter TEXT | --all]

Commands (read-only unless stated):
  list                    the default: every stream whose key contains TEXT (found with
                            SCAN ... MATCH *TEXT* TYPE stream), and for each:
                            XINFO STREAM key        length, first and last entry, groups
                            XINFO GROUPS key        consumers, pending, last delivered id, lag
                            XPENDING key group      pending count, id range, per consumer
  streams                 only the stream keys
  create TOPIC [GROUP...] WRITES: creates the stream and its groups the way the transport
                            does (transport.ensure, via ensure-topic.ts)

Options:
  --filter TEXT   only keys containing TEXT; default: playtally
  --all           every stream
  -h, --help      this text

Environment:
  REDIS_URL       redis://[user:password@]host:port[/db] (default: redis://127.0.0.1:6379)
  REDIS_CLI       the redis-cli command (default: redis-cli; e.g.
                  "docker compose exec -T redis redis-cli")

Each section starts with the exact command it ran. The native equivalent of `create` is
  redis-cli XGROUP CREATE TOPIC GROUP '$' MKSTREAM

Examples:
  scripts/inspect/redis.sh
  scripts/inspect/redis.sh --filter playtally.jobs
  scripts/inspect/redis.sh create playtally.demo workers
EOF
}

# shellcheck source=parse-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/parse-args.sh"
parse_inspect_args redis.sh "$@"

url="${REDIS_URL:-redis://127.0.0.1:6379}"
read -r -a cli <<<"${REDIS_CLI:-redis-cli}"
# -e: fail on an error reply instead of printing it and exiting 0.
cli+=(-u "$url" --no-auth-warning -e)

# The filter as a glob for SCAN MATCH, with glob characters escaped.
pattern="*$(printf '%s' "$filter" | sed 's/[][*?\\]/\\&/g')*"

# Stream keys matching the pattern, sorted; SCAN walks the keyspace without blocking Redis.
stream_keys() {
  local cursor=0 reply
  while :; do
    reply="$("${cli[@]}" --raw SCAN "$cursor" MATCH "$pattern" COUNT 1000 TYPE stream)" || exit 1
    cursor="$(head -n1 <<<"$reply")"
    [[ "$cursor" =~ ^[0-9]+$ ]] || { echo "redis.sh: unexpected SCAN reply: $reply" >&2; exit 1; }
    tail -n +2 <<<"$reply"
    [ "$cursor" = 0 ] && break
  done | sed '/^$/d' | sort -u
}

# Prints a command and runs it with redis-cli's human-readable formatting.
run() {
  echo "\$ redis-cli $*"
  "${cli[@]}" --no-raw "$@"
}

# Group names of a stream: the value after each "name" field of XINFO GROUPS.
group_names() {
  "${cli[@]}" --raw XINFO GROUPS "$1" | awk 'take { print; take = 0; next } $0 == "name" { take = 1 }'
}

case "$command_name" in
  list | streams)
    [ ${#args[@]} -eq 0 ] || { echo "redis.sh: $command_name takes no arguments" >&2; exit 2; }
    echo "\$ redis-cli SCAN <cursor> MATCH '$pattern' COUNT 1000 TYPE stream"
    keys="$(stream_keys)" || exit 1
    if [ -z "$keys" ]; then
      echo "(no streams match)"
      exit 0
    fi
    echo "$keys"
    [ "$command_name" = list ] || exit 0
    while IFS= read -r key; do
      echo
      echo "== stream $key"
      run XINFO STREAM "$key"
      run XINFO GROUPS "$key"
      while IFS= read -r group; do
        [ -n "$group" ] && run XPENDING "$key" "$group"
      done < <(group_names "$key")
    done <<<"$keys"
    ;;
  create)
    [ ${#args[@]} -ge 1 ] || { echo "redis.sh: create needs a TOPIC (see --help)" >&2; exit 2; }
    exec "$root/node_modules/.bin/tsx" --tsconfig "$here/tsconfig.json" "$here/ensure-topic.ts" \
      "$url" "${args[@]}"
    ;;
  *) echo "redis.sh: unknown command $command_name (see --help)" >&2; exit 2 ;;
esac
