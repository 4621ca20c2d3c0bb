# Shared by scripts/kafka and scripts/s3: a background Java service tracked by a pid file.
# Source it, then set `pidfile`, `pattern` (a grep -E pattern its command line matches) and
# `say` (a function printing one line) before calling these.

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in the pid file, if that process is alive *and* is ours: the file may outlive its
# process (a machine restarted, a killed session), and the pid may then belong to another.
running_pid() {
  local pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq "$pattern" && echo "$pid"
}

# Sends `signal` (TERM or KILL) to our process and waits up to `timeout` seconds for it to end,
# then SIGKILL. Exits quietly when none of ours runs. Removes the pid file.
stop_service() { # signal timeout name
  local signal="$1" timeout="$2" name="$3" pid deadline
  if ! pid="$(running_pid)"; then
    say "no $name of ours is running"
    rm -f "$pidfile"
    return 0
  fi
  say "sending SIG$signal to $name (pid $pid)"
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
}
