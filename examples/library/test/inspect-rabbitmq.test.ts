import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deadLetterTopic, type Transport } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { createAmqpTransport } from '@playtally/transport-amqp';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeRegExp,
  publishSome,
  runScript,
  runScriptOk,
  uniqueName,
} from './inspect-helpers.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const available = await requireService('RabbitMQ at 127.0.0.1:5672 with rabbitmqctl', async () => {
  await probeTcp('127.0.0.1', 5672);
  await promisify(execFile)('rabbitmqctl', ['-q', 'status'], { timeout: 30_000 });
});

describe.skipIf(!available)('scripts/inspect/rabbitmq.sh', () => {
  const name = uniqueName();
  const topic = `playtally.${name}`;
  const created = `playtally.${name}-created`;
  let transport: Transport;

  beforeAll(async () => {
    transport = createAmqpTransport({ url: AMQP_URL });
    await transport.ensure(topic, ['readers']);
    await publishSome(transport, topic, 2);
  });

  afterAll(async () => {
    await transport?.close();
    const connection = await amqp.connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      for (const t of [topic, created]) {
        for (const group of ['readers', 'writers']) {
          await channel.deleteQueue(`${t}.${group}`);
          await channel.deleteQueue(`${deadLetterTopic(t)}.${group}`);
        }
        await channel.deleteExchange(t);
        await channel.deleteExchange(deadLetterTopic(t));
      }
    } finally {
      await connection.close();
    }
  });

  it('lists the topic exchange, the group queue holding the published messages and their binding', async () => {
    const stdout = await runScriptOk('rabbitmq.sh', ['--filter', name]);
    const t = escapeRegExp(topic);
    expect(stdout).toContain('rabbitmqctl -q -p / list_exchanges name type durable auto_delete');
    expect(stdout).toMatch(new RegExp(`^${t} +fanout +true +false$`, 'm'));
    // name, durable, messages_ready, messages_unacknowledged, messages, consumers
    expect(stdout).toMatch(new RegExp(`^${t}\\.readers +true +2 +0 +2 +0$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${t}\\.dead-letter\\.readers +true +0 +0 +0 +0$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${t} +${t}\\.readers +queue`, 'm'));
  });

  it('shows only names containing the filter', async () => {
    const stdout = await runScriptOk('rabbitmq.sh', ['queues', '--filter', `${name}-nothing`]);
    expect(stdout).not.toContain(topic);
    expect(stdout).toContain('list_queues');
  });

  it('creates a topic and its group queue with `create`, as the transport would', async () => {
    const output = await runScriptOk('rabbitmq.sh', ['create', created, 'writers']);
    expect(output).toContain(`ensured topic ${created} with group(s) writers on amqp`);
    const stdout = await runScriptOk('rabbitmq.sh', ['bindings', '--filter', `${name}-created`]);
    const c = escapeRegExp(created);
    expect(stdout).toMatch(new RegExp(`^${c} +${c}\\.writers +queue`, 'm'));
  });

  it('explains itself with --help and refuses unknown commands', async () => {
    const help = await runScript('rabbitmq.sh', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: scripts/inspect/rabbitmq.sh');
    const wrong = await runScript('rabbitmq.sh', ['purge']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown command purge');
  });
});
