import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';

/**
 * A private RabbitMQ node for fault tests: its own node name, AMQP and distribution ports,
 * configuration, data and logs, so a test may stop and restart it without touching the broker
 * other tests share. It reads the shared Erlang cookie (`/var/lib/rabbitmq`), so `rabbitmqctl
 * -n <node>` reaches it. Needs `rabbitmq-server` installed.
 */
export class PrivateRabbitMq {
  readonly port = 25_700 + Math.floor(Math.random() * 400);
  readonly node = `playtally-fault-${this.port}@localhost`;
  readonly url = `amqp://guest:guest@127.0.0.1:${this.port}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'playtally-rabbitmq-'));
  private readonly env = {
    ...process.env,
    HOME: '/var/lib/rabbitmq',
    RABBITMQ_NODENAME: this.node,
    RABBITMQ_NODE_PORT: String(this.port),
    RABBITMQ_DIST_PORT: String(this.port + 1000),
    RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(this.dir, 'log'),
    RABBITMQ_PID_FILE: join(this.dir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };

  /** Starts the node and waits until it accepts connections. */
  async start(): Promise<void> {
    writeFileSync(this.env.RABBITMQ_CONFIG_FILE, `listeners.tcp.local = 127.0.0.1:${this.port}\n`);
    writeFileSync(this.env.RABBITMQ_CONF_ENV_FILE, 'ERL_EPMD_ADDRESS=127.0.0.1\n');
    writeFileSync(this.env.RABBITMQ_ENABLED_PLUGINS_FILE, '[].\n');
    await run(join(BIN, 'rabbitmq-server'), ['-detached'], { env: this.env, cwd: this.dir });
    // `-detached` returns before the node registered with epmd: ask until it answers.
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await this.ctl('await_startup');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Runs `rabbitmqctl -n <node> -q <args>` against this node. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run(join(BIN, 'rabbitmqctl'), ['-n', this.node, '-q', ...args], {
      env: this.env,
      timeout: 120_000,
    });
    return stdout;
  }

  /** Stops the node for good and removes its data. */
  async destroy(): Promise<void> {
    await this.ctl('stop').catch((error: unknown) => console.warn(`stopping ${this.node}:`, error));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
