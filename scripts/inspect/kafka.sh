#!/usr/bin/env bash
# Shows what playtally keeps on Kafka: one topic per playtally topic (dead letters in
# `<topic>.dead-letter`), one consumer group `<topic>:<group>` per durable group (committed
# offsets and lag), ephemeral groups `<topic>:<clientId>-ephemeral-<uuid>` of live subscriptions.
# Runs Kafka's own command-line tools from the jars scripts/kafka/start.sh cached, so no Kafka
# installation is needed. Read-only unless the `create` command is given.
set -euo pipefail
shopt -s inherit_errexit
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() {
  cat <<'EOF'
Usage: scripts/inspect/kafka.sh [command] [--filter TEXT | --all]

Commands (read-only unless stated):
  list                    topics and consumer groups (the default)
  topics                  org.apache.kafka.tools.TopicCommand --describe (partitions, leaders)
                            and org.apache.kafka.tools.GetOffsetShell (end offset per
                            partition: how many records each holds)
  groups                  org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --list,
                            then --describe (committed offset, log end, lag, members)
  create TOPIC [GROUP...] WRITES: creates the topic and its groups the way the transport
                            does (transport.ensure, via ensure-topic.ts)

Options:
  --filter TEXT   only topics and groups whose names contain TEXT; default: playtally
  --all           everything but Kafka's internal topics
  -h, --help      this text

Environment:
  KAFKA_BOOTSTRAP   host:port (default: 127.0.0.1:9092)
  KAFKA_HOME_CACHE  where scripts/kafka/start.sh keeps the broker's jars
                    (default: ~/.cache/playtally-kafka); the tools run from $KAFKA_HOME_CACHE/libs

Each section starts with the exact command it ran. With a Kafka distribution installed the
same tools are bin/kafka-topics.sh, bin/kafka-get-offsets.sh and bin/kafka-consumer-groups.sh;
the native equivalent of `create` is
  kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --create --topic TOPIC --partitions 3

Examples:
  scripts/inspect/kafka.sh
  scripts/inspect/kafka.sh groups --filter playtally.jobs
  scripts/inspect/kafka.sh create playtally.demo workers
EOF
}

# shellcheck source=parse-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/parse-args.sh"
parse_inspect_args kafka.sh "$@"

bootstrap="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
cache="${KAFKA_HOME_CACHE:-$HOME/.cache/playtally-kafka}"

# Runs one of Kafka's tool classes against the broker.
kafka_run() {
  local class="$1"; shift
  if ! ls "$cache"/libs/kafka-tools-*.jar >/dev/null 2>&1; then
    echo "kafka.sh: no Kafka jars in $cache/libs; run scripts/kafka/start.sh once" >&2
    exit 1
  fi
  local java=(java -Xmx128m)
  local config=()
  [ -f "$cache/tools-log4j.properties" ] && java+=("-Dlog4j.configuration=file:$cache/tools-log4j.properties")
  [ -f "$cache/tools.properties" ] && config=(--command-config "$cache/tools.properties")
  "${java[@]}" -cp "$cache/libs/*" "$class" --bootstrap-server "$bootstrap" "${config[@]}" "$@"
}

# Prints the command (arguments quoted where the shell needs it), then runs it.
kafka_tool() {
  local shown=() arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9._:/=@,-]+$ ]]; then shown+=("$arg"); else shown+=("'$arg'"); fi
  done
  echo "\$ java -cp '$cache/libs/*' ${shown[0]} --bootstrap-server $bootstrap ${shown[*]:1}"
  kafka_run "$@"
}

# Names (one per line, from stdin) that contain the filter, sorted.
matching() {
  awk -v filter="$filter" 'NF > 0 && (filter == "" || index($0, filter) > 0)' | sort
}

# A Java regular expression matching exactly the given names.
exact_regex() {
  local names=() name
  for name in "$@"; do names+=("$(printf '%s' "$name" | sed 's/[][\\.^$|?*+(){}]/\\&/g')"); done
  local IFS='|'
  printf '%s' "${names[*]}"
}

describe_filter() {
  if [ -n "$filter" ]; then echo "names containing \"$filter\""; else echo "all names"; fi
}

show_topics() {
  local listed topics=()
  listed="$(kafka_run org.apache.kafka.tools.TopicCommand --list --exclude-internal | matching)"
  echo "\$ java -cp '$cache/libs/*' org.apache.kafka.tools.TopicCommand --bootstrap-server $bootstrap --list --exclude-internal  # $(describe_filter)"
  if [ -z "$listed" ]; then
    echo "(no topics match)"
    echo
    return
  fi
  echo "$listed"
  echo
  mapfile -t topics <<<"$listed"
  local regex
  regex="$(exact_regex "${topics[@]}")"
  kafka_tool org.apache.kafka.tools.TopicCommand --describe --if-exists --topic "$regex"
  echo
  kafka_tool org.apache.kafka.tools.GetOffsetShell --topic "$regex" --time -1
  echo
}

show_groups() {
  local listed groups=() group
  listed="$(kafka_run org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --list | matching)"
  echo "\$ java -cp '$cache/libs/*' org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server $bootstrap --list  # $(describe_filter)"
  if [ -z "$listed" ]; then
    echo "(no consumer groups match)"
    return
  fi
  echo "$listed"
  echo
  while IFS= read -r group; do groups+=(--group "$group"); done <<<"$listed"
  kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --describe "${groups[@]}" 2>&1
  echo
}

case "$command_name" in
  list | topics | groups)
    [ ${#args[@]} -eq 0 ] || { echo "kafka.sh: $command_name takes no arguments" >&2; exit 2; }
    [ "$command_name" = groups ] || show_topics
    [ "$command_name" = topics ] || show_groups
    ;;
  create)
    [ ${#args[@]} -ge 1 ] || { echo "kafka.sh: create needs a TOPIC (see --help)" >&2; exit 2; }
    exec "$root/node_modules/.bin/tsx" --tsconfig "$here/tsconfig.json" "$here/ensure-topic.ts" \
      "kafka://$bootstrap" "${args[@]}"
    ;;
  *) echo "kafka.sh: unknown command $command_name (see --help)" >&2; exit 2 ;;
esac
