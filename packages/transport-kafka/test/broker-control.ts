/**
 * A private Kafka broker for fault tests, started with `scripts/kafka/start.sh` on spare ports
 * with a state directory of its own (the jars are shared), so a test may SIGKILL and restart it
 * without touching the broker other tests share.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../../scripts/kafka/', import.meta.url));

export class PrivateKafkaBroker {
  readonly port = 19_092 + Math.floor(Math.random() * 400) * 2;
  readonly brokers = [`127.0.0.1:${this.port}`];
  private readonly state = mkdtempSync(join(tmpdir(), 'playtally-kafka-'));
  private readonly env = {
    ...process.env,
    KAFKA_PORT: String(this.port),
    KAFKA_CONTROLLER_PORT: String(this.port + 1),
    KAFKA_STATE_DIR: this.state,
    KAFKA_HEAP: '384m',
  };

  /** Starts the broker (formatting its data directory the first time) and waits for an answer. */
  async start(): Promise<void> {
    await run('bash', [join(scripts, 'start.sh')], { env: this.env, timeout: 180_000 });
  }

  /**
   * Crashes the broker as a power cut would: SIGKILL, no clean-up, so its pid file stays behind
   * (`start.sh` must then tell a stale pid file from a live broker). Resolves once it is gone.
   */
  async crash(): Promise<void> {
    const pidFile = join(this.state, 'kafka.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    const deadline = Date.now() + 30_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline)
        throw new Error(`broker pid ${pid} still alive 30 s after SIGKILL`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops the broker for good and removes its data. */
  async destroy(): Promise<void> {
    await run('bash', [join(scripts, 'stop.sh'), '--kill'], { env: this.env, timeout: 60_000 });
    rmSync(this.state, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
