import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Transport } from '../../transport.js';
import {
  cleanUpTopics,
  createRecorder,
  openTransport,
  testEvent,
  uniqueGroup,
  uniqueTopic,
  waitUntil,
} from './helpers.js';
import type { TransportContractOptions } from './options.js';

/** How {@link describeConsumerCrashContract} runs a consumer in another process. */
export interface ConsumerCrashContractOptions {
  /** Creates the surviving consumer's transport (in the test process). */
  createTransport: () => Transport | Promise<Transport>;
  /**
   * A TypeScript file that creates the adapter's transport and calls {@link runHoldingConsumer}
   * with it. It runs under `node --import tsx`, with `@playtally/*` mapped to the sources.
   */
  consumerScript: string;
  /** Extra environment for the consumer process (connection URLs). */
  env?: Readonly<Record<string, string>>;
  /** Deletes what the test left on the broker for `topics` (see {@link TransportContractOptions}). */
  cleanup?: (topics: readonly string[]) => Promise<void>;
  /** Longest wait for redelivery to the survivor, in milliseconds. @default 30000 */
  timeoutMs?: number;
}

/**
 * Fault test: a consumer process takes events, holds them unacknowledged and is killed with
 * SIGKILL; another consumer of the same group must then receive every event, the held ones
 * included (AMQP requeues on disconnect, Redis reclaims idle pending entries, Kafka rebalances).
 */
export function describeConsumerCrashContract(
  name: string,
  options: ConsumerCrashContractOptions,
): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  describe(`Transport contract: ${name} with a crashing consumer`, () => {
    afterAll(() => cleanUpTopics(options.cleanup), 60_000);
    it('hands the events a killed consumer held to another consumer of its group', {
      timeout: timeoutMs * 2 + 120_000,
    }, async () => {
      const transport = await openTransport(options.createTransport);
      const topic = uniqueTopic('crash');
      const group = uniqueGroup('crashing');
      const concurrency = 4;
      await transport.ensure(topic, [group]);
      const child = spawnTypeScript(options.consumerScript, {
        ...options.env,
        CONTRACT_TOPIC: topic,
        CONTRACT_GROUP: group,
        CONTRACT_CONCURRENCY: String(concurrency),
      });
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const lines = collectLines(child);
      // Generous: the child compiles the workspace sources with tsx, slow on a loaded machine.
      await waitUntil(
        () => lines.includes('ready'),
        Math.max(timeoutMs, 90_000),
        () => `the consumer process to start (${lines.join(' | ')})`,
      );
      const events = Array.from({ length: 20 }, (_, n) => testEvent(n));
      for (const event of events) await transport.publish(topic, event);
      const held = () =>
        lines.filter((line) => line.startsWith('held ')).map((line) => line.slice(5));
      await waitUntil(
        () => held().length >= concurrency,
        timeoutMs,
        () => `the consumer to hold ${concurrency} events`,
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const survivor = createRecorder();
      await transport.subscribe(topic, survivor.handler, { group, concurrency: 10 });
      await waitUntil(
        () => survivor.ids.size >= events.length,
        timeoutMs,
        () =>
          `the survivor to receive all ${events.length} events; missing held: ` +
          held()
            .filter((id) => !survivor.ids.has(id))
            .join(', '),
      );
      expect(survivor.ids).toEqual(new Set(events.map((event) => event.id)));
      expect(held().every((id) => survivor.ids.has(id))).toBe(true);
    });
  });
}

/**
 * The consumer side of {@link describeConsumerCrashContract}: subscribes to `CONTRACT_TOPIC` in
 * group `CONTRACT_GROUP` with `CONTRACT_CONCURRENCY` handlers that print `held <id>` and never
 * finish, then prints `ready`.
 */
export async function runHoldingConsumer(transport: Transport): Promise<void> {
  const topic = requiredEnv('CONTRACT_TOPIC');
  const group = requiredEnv('CONTRACT_GROUP');
  const concurrency = Number(process.env.CONTRACT_CONCURRENCY ?? '4');
  await transport.subscribe(
    topic,
    async (event) => {
      process.stdout.write(`held ${event.id}\n`);
      await new Promise(() => {});
    },
    { group, concurrency },
  );
  process.stdout.write('ready\n');
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

/** Runs a TypeScript file with tsx, resolving `@playtally/*` to the workspace's sources. */
function spawnTypeScript(script: string, env: Readonly<Record<string, string>>): ChildProcess {
  const root = workspaceRoot(dirname(resolve(script)));
  const tsconfig = join(tmpdir(), `playtally-contract-tsconfig-${process.pid}.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        baseUrl: root,
        paths: {
          '@playtally/*/testing': ['packages/*/src/testing/index.ts'],
          '@playtally/*': ['packages/*/src/index.ts'],
        },
      },
    }),
  );
  return spawn(process.execPath, ['--import', 'tsx', resolve(script)], {
    cwd: root,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: tsconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function workspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line.length > 0));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    lines.push(`stderr: ${chunk.toString('utf8').trim()}`);
  });
  return lines;
}
