/**
 * Stops and starts the broker of `scripts/kafka/` for fault tests. Only a broker those scripts
 * started (the process in their pid file) is ever touched.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../../scripts/kafka/', import.meta.url));
const cache = process.env.KAFKA_HOME_CACHE ?? join(homedir(), '.cache', 'playtally-kafka');

const pidFile = join(cache, 'kafka.pid');

function scriptedBrokerPid(): number {
  if (!existsSync(pidFile))
    throw new Error(`no ${pidFile}: the broker was not started by scripts/kafka/start.sh`);
  return Number(readFileSync(pidFile, 'utf8').trim());
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the broker answering the tests is one `scripts/kafka/start.sh` started and runs. */
export async function probeScriptedBroker(): Promise<void> {
  process.kill(scriptedBrokerPid(), 0);
}

/**
 * Crashes the broker as a power cut would: SIGKILL, no clean-up, so its pid file stays behind
 * (`start.sh` must then tell a stale pid file from a live broker). Resolves once it is gone.
 */
export async function crashBroker(): Promise<void> {
  const pid = scriptedBrokerPid();
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`broker pid ${pid} still alive 30 s after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the broker and resolves once it answers. */
export async function startBroker(): Promise<void> {
  await run('bash', [join(scripts, 'start.sh')], { timeout: 180_000 });
}
