#!/usr/bin/env bash
# Starts S3Proxy 2.6 (a real S3 API server, Java, no Docker) with its filesystem backend on
# 127.0.0.1:9000 for the tests, benchmarks and examples, with fixed test credentials.
#
#   bash scripts/s3/start.sh        # idempotent: exits 0 at once when S3Proxy already answers
#   bash scripts/s3/stop.sh         # SIGTERM and wait (stop.sh --kill simulates a crash)
#
# Endpoint http://127.0.0.1:9000, path-style, region us-east-1, access key `playtally`, secret key
# `playtally-secret`; the bucket `playtally` exists once it answers. So, for example:
#   STORAGE_URL='s3://playtally/blobs?endpoint=http://127.0.0.1:9000&forcePathStyle=true'
#   AWS_ACCESS_KEY_ID=playtally AWS_SECRET_ACCESS_KEY=playtally-secret AWS_REGION=us-east-1
#
# Everything lives outside the repository in $S3PROXY_HOME_CACHE (default ~/.cache/playtally-s3):
#   libs/             S3Proxy's self-contained jar, fetched once from Maven Central by `mvn` (pom.xml)
#   data/             the buckets (one directory each; objects are plain files)
#   s3proxy.conf      written on every start            logs/stdout.log   S3Proxy's log
#   s3proxy.pid       S3Proxy's process id
#
# Environment: S3PROXY_HOME_CACHE, S3PROXY_PORT (default 9000), S3PROXY_START_TIMEOUT (seconds,
# default 90), S3PROXY_HEAP (default 512m).
set -euo pipefail
source "$(dirname "$0")/../lib/pidfile-service.sh"
here="$(cd "$(dirname "$0")" && pwd)"
cache="${S3PROXY_HOME_CACHE:-$HOME/.cache/playtally-s3}"
libs="$cache/libs"
data="$cache/data"
logs="$cache/logs"
conf="$cache/s3proxy.conf"
pattern='org\.gaul\.s3proxy|s3proxy-.*\.jar'
pidfile="$cache/s3proxy.pid"
port="${S3PROXY_PORT:-9000}"
timeout="${S3PROXY_START_TIMEOUT:-90}"
heap="${S3PROXY_HEAP:-512m}"
endpoint="http://127.0.0.1:$port"
access_key=playtally
secret_key=playtally-secret
bucket=playtally

say() { echo "s3/start: $*"; }

# A signed S3 request (curl signs with AWS SigV4), not just an open port: listing the buckets
# answers 200 only when S3Proxy serves requests and accepts the test credentials.
s3() { # method path
  curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X "$1" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" "$endpoint$2" 2>/dev/null
}
answers() { port_open "$port" && [ "$(s3 GET /)" = 200 ]; }

# The test bucket, so that the URL above works at once; creating it again is harmless.
ensure_bucket() {
  local status
  status="$(s3 PUT "/$bucket")"
  case "$status" in
    200 | 409) return 0 ;;
    *) say "could not create the bucket $bucket (HTTP $status)" >&2; return 1 ;;
  esac
}

command -v curl >/dev/null 2>&1 || { say "curl is needed (it signs the readiness request)" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { say "java (17 or later) is needed to run S3Proxy" >&2; exit 1; }
mkdir -p "$cache" "$data" "$logs"

# 1. The jar: resolved once per pom.xml content; mvn is skipped while the cached one matches.
stamp="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ "$(cat "$libs/.pom-sha256" 2>/dev/null)" != "$stamp" ] || ! ls "$libs"/s3proxy-*-jar-with-dependencies.jar >/dev/null 2>&1; then
  command -v mvn >/dev/null 2>&1 || { say "mvn is needed once to fetch S3Proxy's jar" >&2; exit 1; }
  say "fetching S3Proxy into $libs"
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
  echo "$stamp" >"$libs/.pom-sha256"
fi
jar="$(ls "$libs"/s3proxy-*-jar-with-dependencies.jar | head -n1)"

# 2. Configuration (rewritten every time, so a changed script takes effect on the next start).
# jclouds.identity/credential are required by S3Proxy's parser; the filesystem backend ignores them.
# The jclouds `filesystem` backend, not `filesystem-nio2`: the latter keeps the partial file of an
# aborted PutObject, which then fails every listing of its folder with a 500.
cat >"$conf" <<EOF
s3proxy.endpoint=$endpoint
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$access_key
s3proxy.credential=$secret_key
jclouds.provider=filesystem
jclouds.filesystem.basedir=$data
jclouds.identity=unused
jclouds.credential=unused
EOF

# 3. Already up? Then only the bucket may be missing.
if answers; then
  ensure_bucket
  say "S3Proxy already answers on $endpoint"
  exit 0
fi

# 4. Start unless a server we started is still coming up.
if pid="$(running_pid)"; then
  say "S3Proxy (pid $pid) is starting; waiting"
else
  if port_open "$port"; then
    say "127.0.0.1:$port is taken by something that does not answer as S3Proxy with the test credentials" >&2
    exit 1
  fi
  say "starting S3Proxy (log: $logs/stdout.log)"
  # A stale pid file (from a server that died with its machine or session) must not be read as
  # the new server's: it would be seen as "exited during start-up" at once.
  rm -f "$pidfile"
  # setsid: the server must outlive the shell (and process group) that started it.
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
    java -Xms64m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -jar "$jar" --properties "$conf" >"$logs/stdout.log" 2>&1 </dev/null &
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$pidfile" ] && break; sleep 0.2; done
fi

# 5. Wait for a real answer.
deadline=$((SECONDS + timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
  if answers; then
    ensure_bucket
    say "S3Proxy (pid $(cat "$pidfile")) answers on $endpoint"
    exit 0
  fi
  if ! running_pid >/dev/null; then
    say "S3Proxy exited during start-up; last lines of its log:" >&2
    tail -n 40 "$logs/stdout.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
say "S3Proxy did not answer within ${timeout}s; last lines of its log:" >&2
tail -n 40 "$logs/stdout.log" >&2 2>/dev/null || true
exit 1
