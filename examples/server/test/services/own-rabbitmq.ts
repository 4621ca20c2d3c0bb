import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitUntil } from './free-port.js';

/** A RabbitMQ node of a test's own, on spare ports: never the shared one. */
export interface OwnRabbitMq {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the node (`rabbitmqctl -n <node> stop`); its durable queues stay on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts a RabbitMQ node named `rabbit-fault-<n>@localhost` with its own AMQP and distribution
 * ports, data and log folders, no plugins, and a config that overrides the machine's listener.
 */
export async function startOwnRabbitMq(): Promise<OwnRabbitMq> {
  const base = await mkdtemp(join(tmpdir(), 'playtally-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const node = `rabbit-fault-${port}@localhost`;
  await writeFile(join(base, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  await writeFile(join(base, 'enabled_plugins'), '[].\n');
  // rabbitmq-server drops to the rabbitmq user: let it use the folder.
  await chmod(base, 0o777);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
  };
  let child: ChildProcess | undefined;
  const ctl = (...args: string[]) =>
    run('rabbitmqctl', ['-q', '-n', node, ...args], { env, timeout: 60_000 });

  const start = async () => {
    child = spawn('rabbitmq-server', [], { env, stdio: 'ignore', detached: true });
    child.unref();
    // `await_startup` fails at once while the node has not registered with epmd yet.
    await waitUntil(`${node} to start`, () => ctl('await_startup', '--timeout', '60'), 120_000);
  };
  const stop = async () => {
    await ctl('stop').catch(() => {});
    await waitUntil(
      `${node} to stop`,
      async () => {
        if (child && child.exitCode === null && child.signalCode === null)
          throw new Error('running');
      },
      60_000,
    ).catch(() => child?.kill('SIGKILL'));
  };
  await start();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop,
    start,
    async destroy() {
      await stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}
