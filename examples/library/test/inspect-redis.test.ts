import { deadLetterTopic, type Transport } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { createRedisTransport } from '@playtally/transport-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeRegExp,
  publishSome,
  runScript,
  runScriptOk,
  uniqueName,
} from './inspect-helpers.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const available = await requireService('Redis at 127.0.0.1:6379', () =>
  probeTcp('127.0.0.1', 6379),
);

describe.skipIf(!available)('scripts/inspect/redis.sh', () => {
  const name = uniqueName();
  const topic = `playtally.${name}`;
  const created = `playtally.${name}-created`;
  const env = { REDIS_URL };
  let transport: Transport;

  beforeAll(async () => {
    transport = createRedisTransport({ url: REDIS_URL });
    await transport.ensure(topic, ['readers']);
    await publishSome(transport, topic, 2);
  });

  afterAll(async () => {
    await transport?.close();
    const redis = new Redis(REDIS_URL);
    try {
      await redis.del(topic, deadLetterTopic(topic), created, deadLetterTopic(created));
    } finally {
      redis.disconnect();
    }
  });

  it('finds the stream with SCAN and shows its length, its group and the pending summary', async () => {
    const stdout = await runScriptOk('redis.sh', ['--filter', name], env);
    const t = escapeRegExp(topic);
    expect(stdout).toContain(`SCAN <cursor> MATCH '*${name}*' COUNT 1000 TYPE stream`);
    expect(stdout).toMatch(new RegExp(`^== stream ${t}$`, 'm'));
    expect(stdout).toMatch(
      new RegExp(
        `^\\$ redis-cli XINFO STREAM ${t}\\n +1\\) "length"\\n +2\\) \\(integer\\) 2$`,
        'm',
      ),
    );
    expect(stdout).toMatch(
      new RegExp(`^\\$ redis-cli XINFO GROUPS ${t}\\n1\\) +1\\) "name"\\n +2\\) "readers"$`, 'm'),
    );
    // Nothing was read by the group yet, so nothing is pending.
    expect(stdout).toMatch(
      new RegExp(`^\\$ redis-cli XPENDING ${t} readers\\n1\\) \\(integer\\) 0$`, 'm'),
    );
  });

  it('lists only stream keys containing the filter', async () => {
    const stdout = await runScriptOk('redis.sh', ['streams', '--filter', `${name}-nothing`], env);
    expect(stdout).not.toContain(topic);
    expect(stdout).toContain('(no streams match)');
  });

  it('creates a stream and its group with `create`, as the transport would', async () => {
    const output = await runScriptOk('redis.sh', ['create', created, 'writers'], env);
    expect(output).toContain(`ensured topic ${created} with group(s) writers on redis`);
    const stdout = await runScriptOk('redis.sh', ['--filter', `${name}-created`], env);
    expect(stdout).toMatch(
      new RegExp(`^\\$ redis-cli XPENDING ${escapeRegExp(created)} writers$`, 'm'),
    );
  });

  it('explains itself with --help and fails when Redis does not answer', async () => {
    const help = await runScript('redis.sh', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: scripts/inspect/redis.sh');
    const down = await runScript('redis.sh', [], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(down.code).not.toBe(0);
  });
});
