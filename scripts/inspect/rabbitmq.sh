#!/usr/bin/env bash
# Shows what playtally keeps on RabbitMQ: exchanges (one durable fanout exchange per topic),
# queues (one durable queue `<topic>.<group>` per group, dead-letter queues
# `<topic>.dead-letter.<group>`, server-named `amq.gen-…` queues of live subscriptions) and the
# bindings between them. Read-only unless the `create` command is given.
set -euo pipefail
shopt -s inherit_errexit
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() {
  cat <<'EOF'
Usage: scripts/inspect/rabbitmq.sh [command] [--filter TEXT | --all]

Commands (read-only unless stated):
  list                    exchanges, queues and bindings (the default)
  exchanges               rabbitmqctl list_exchanges name type durable auto_delete
  queues                  rabbitmqctl list_queues name durable messages_ready
                            messages_unacknowledged messages consumers
  bindings                rabbitmqctl list_bindings source_name destination_name
                            destination_kind routing_key
  create TOPIC [GROUP...] WRITES: declares TOPIC and its groups' queues the way the
                            transport does (transport.ensure, via ensure-topic.ts)

Options:
  --filter TEXT   only names containing TEXT (a binding matches by source or destination);
                  default: playtally
  --all           no filter (amq.* and the default exchange included)
  -h, --help      this text

Environment:
  RABBITMQCTL     the rabbitmqctl command (default: rabbitmqctl; e.g.
                  "docker compose exec -T rabbitmq rabbitmqctl")
  RABBITMQ_VHOST  virtual host (default: /)
  AMQP_URL        broker URL for `create` (default: amqp://guest:guest@127.0.0.1:5672)

Each section starts with the exact command it ran, so the output doubles as a cheat sheet.
Without the management plugin rabbitmqctl cannot declare exchanges, which is why `create`
goes through the transport; with it, the equivalent is
  rabbitmqadmin declare exchange name=TOPIC type=fanout durable=true
  rabbitmqadmin declare queue name=TOPIC.GROUP durable=true
  rabbitmqadmin declare binding source=TOPIC destination=TOPIC.GROUP

Examples:
  scripts/inspect/rabbitmq.sh
  scripts/inspect/rabbitmq.sh queues --filter playtally.jobs
  scripts/inspect/rabbitmq.sh create playtally.demo workers
EOF
}

# shellcheck source=parse-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/parse-args.sh"
parse_inspect_args rabbitmq.sh "$@"

read -r -a ctl <<<"${RABBITMQCTL:-rabbitmqctl}"
vhost="${RABBITMQ_VHOST:-/}"

# Prints the command, then its tab-separated rows whose key columns contain the filter, as a
# table. $1: the comma-separated key columns (1-based); the rest: the rabbitmqctl arguments.
show() {
  local keys="$1"; shift
  local header
  header="$(printf '%s\t' "${@:2}")"
  echo "\$ ${ctl[*]} -q -p $vhost $* --no-table-headers  # $(describe_filter)"
  {
    printf '%s\n' "${header%$'\t'}"
    "${ctl[@]}" -q -p "$vhost" "$@" --no-table-headers |
      awk -F'\t' -v filter="$filter" -v keys="$keys" '
        BEGIN { n = split(keys, k, ",") }
        { for (i = 1; i <= n; i++) if (filter == "" || index($k[i], filter) > 0) { print; next } }'
  } | tabulate
  echo
}

describe_filter() {
  if [ -n "$filter" ]; then echo "names containing \"$filter\""; else echo "all names"; fi
}

tabulate() {
  if command -v column >/dev/null 2>&1; then column -t -s $'\t'; else cat; fi
}

case "$command_name" in
  list | exchanges | queues | bindings)
    [ ${#args[@]} -eq 0 ] || { echo "rabbitmq.sh: $command_name takes no arguments" >&2; exit 2; }
    if [ "$command_name" = list ] || [ "$command_name" = exchanges ]; then
      show 1 list_exchanges name type durable auto_delete
    fi
    if [ "$command_name" = list ] || [ "$command_name" = queues ]; then
      show 1 list_queues name durable messages_ready messages_unacknowledged messages consumers
    fi
    if [ "$command_name" = list ] || [ "$command_name" = bindings ]; then
      show 1,2 list_bindings source_name destination_name destination_kind routing_key
    fi
    ;;
  create)
    [ ${#args[@]} -ge 1 ] || { echo "rabbitmq.sh: create needs a TOPIC (see --help)" >&2; exit 2; }
    exec "$root/node_modules/.bin/tsx" --tsconfig "$here/tsconfig.json" "$here/ensure-topic.ts" \
      "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}" "${args[@]}"
    ;;
  *) echo "rabbitmq.sh: unknown command $command_name (see --help)" >&2; exit 2 ;;
esac
