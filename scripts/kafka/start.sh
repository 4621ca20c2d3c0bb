#!/usr/bin/env bash
# Starts a single-node Apache Kafka 3.9 broker (KRaft: broker and controller in one JVM, no
# ZooKeeper, no Docker) on 127.0.0.1:9092 for the tests, benchmarks and examples.
#
#   bash scripts/kafka/start.sh        # idempotent: exits 0 at once when the broker already answers
#   bash scripts/kafka/stop.sh         # SIGTERM and wait (stop.sh --kill simulates a crash)
#
# Everything lives outside the repository in $KAFKA_HOME_CACHE (default ~/.cache/playtally-kafka):
#   libs/               the broker's jars, fetched once from Maven Central by `mvn` (see pom.xml)
#   data/               the KRaft log directory, formatted once
#   server.properties   written on every start      logs/server.log   the broker's log
#   kafka.pid           the broker's process id
#
# Environment: KAFKA_HOME_CACHE, KAFKA_START_TIMEOUT (seconds, default 120), KAFKA_HEAP (default 512m).
# A second, private broker (fault tests start their own, never the shared one): KAFKA_PORT (default
# 9092), KAFKA_CONTROLLER_PORT (default 9093) and KAFKA_STATE_DIR (data, logs, configuration and pid
# file; default $KAFKA_HOME_CACHE). The jars are shared.
set -euo pipefail
source "$(dirname "$0")/../lib/pidfile-service.sh"
here="$(cd "$(dirname "$0")" && pwd)"
cache="${KAFKA_HOME_CACHE:-$HOME/.cache/playtally-kafka}"
state="${KAFKA_STATE_DIR:-$cache}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
libs="$cache/libs"
data="$state/data"
logs="$state/logs"
conf="$state/server.properties"
pattern='kafka\.Kafka'
pidfile="$state/kafka.pid"
timeout="${KAFKA_START_TIMEOUT:-120}"
heap="${KAFKA_HEAP:-512m}"
bootstrap="127.0.0.1:$port"

say() { echo "kafka/start: $*"; }

# A real protocol answer, not just an open port: the admin client lists the topics, which needs
# the broker to have caught up with the metadata log and to serve requests.
answers() {
  port_open "$port" || return 1
  timeout 30 java -Xmx128m -Dlog4j.configuration="file:$cache/tools-log4j.properties" -cp "$libs/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --command-config "$cache/tools.properties" --list >/dev/null 2>&1
}

mkdir -p "$cache" "$state" "$data" "$logs"

# 1. Jars: resolved once per pom.xml content; mvn is skipped while the cached set matches.
stamp="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ "$(cat "$libs/.pom-sha256" 2>/dev/null)" != "$stamp" ] || ! ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then
  command -v mvn >/dev/null 2>&1 || { say "mvn is needed once to fetch the broker's jars" >&2; exit 1; }
  say "fetching the broker's jars into $libs"
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
  echo "$stamp" >"$libs/.pom-sha256"
fi

# 2. Configuration (rewritten every time, so a changed script takes effect on the next start).
cat >"$conf" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://$bootstrap,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://$bootstrap
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
# Topics are created by the transport (admin createTopics) with the partitions it is asked for;
# a typo in a topic name must fail instead of silently creating a new topic.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Tests join and leave groups constantly: no initial delay, and short session timeouts allowed.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=4
log.segment.bytes=67108864
log.retention.hours=24
log.retention.check.interval.ms=60000
EOF
cat >"$state/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$logs/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
cat >"$cache/tools-log4j.properties" <<EOF
log4j.rootLogger=ERROR, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%p %m%n
EOF
printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n' >"$cache/tools.properties"

# 3. Already up? Then there is nothing to do.
if answers; then
  say "broker already answers on $bootstrap"
  exit 0
fi

# 4. Start unless a broker we started is still coming up.
if pid="$(running_pid)"; then
  say "broker (pid $pid) is starting; waiting"
else
  if port_open "$port"; then
    say "$bootstrap is taken by something that does not answer as Kafka" >&2
    exit 1
  fi
  if [ ! -f "$data/meta.properties" ]; then
    cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    say "formatting $data (cluster $cluster_id)"
    java -Dlog4j.configuration="file:$cache/tools-log4j.properties" -cp "$libs/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >/dev/null
  fi
  say "starting the broker (log: $logs/server.log)"
  # A stale pid file (from a broker that died with its machine or session) must not be read as
  # the new broker's: it would be seen as "exited during start-up" at once.
  rm -f "$pidfile"
  # setsid: the broker must outlive the shell (and process group) that started it.
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
    java -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dkafka.logs.dir="$logs" -Dlog4j.configuration="file:$state/log4j.properties" \
    -cp "$libs/*" kafka.Kafka "$conf" >"$logs/stdout.log" 2>&1 </dev/null &
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$pidfile" ] && break; sleep 0.2; done
fi

# 5. Wait for a real answer.
deadline=$((SECONDS + timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
  if answers; then
    say "broker (pid $(cat "$pidfile")) answers on $bootstrap"
    exit 0
  fi
  if ! running_pid >/dev/null; then
    say "the broker exited during start-up; last lines of its logs:" >&2
    tail -n 40 "$logs/stdout.log" "$logs/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
say "the broker did not answer within ${timeout}s; last lines of its log:" >&2
tail -n 40 "$logs/server.log" >&2 2>/dev/null || true
exit 1
