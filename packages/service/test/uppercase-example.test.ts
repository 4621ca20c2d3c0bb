import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { probeTcp, requireService } from '@playtally/transport/testing';
import amqplib from 'amqplib';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../examples/uppercase.ts', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const SOURCES = fileURLToPath(new URL('../../../tsconfig.sources.json', import.meta.url));
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Runs the README's example as a user would, on the workspace sources. */
async function runExample(transportUrl: string, texts: string[], topic: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), EXAMPLE, ...texts],
    {
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: SOURCES,
        TRANSPORT_URL: transportUrl,
        TOPIC: topic,
      },
      timeout: 60_000,
    },
  );
  return stdout.trim().split('\n');
}

/** Removes what the example declared on the shared broker: the topic's exchanges and queues. */
async function deleteAmqpTopic(topic: string): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of [`${topic}.workers`, `${topic}.dead-letter.workers`])
      await channel.deleteQueue(queue);
    for (const exchange of [topic, `${topic}.dead-letter`]) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

const amqp = await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672));

describe('the createWorker example of the README', () => {
  it('is the file the tests run, word for word', async () => {
    const [readme, example] = await Promise.all([
      readFile(README, 'utf8'),
      readFile(EXAMPLE, 'utf8'),
    ]);
    expect(readme).toContain(example.trim());
  });

  it('upper-cases texts over memory://', async () => {
    expect(await runExample('memory://', ['hello', 'queue'], 'texts')).toEqual(['HELLO', 'QUEUE']);
  });

  it.skipIf(!amqp)('upper-cases texts over amqp://, with the same code', async () => {
    const topic = `readme.texts.${randomBytes(4).toString('hex')}`;
    try {
      expect(await runExample(AMQP_URL, ['hello', 'rabbit'], topic)).toEqual(['HELLO', 'RABBIT']);
    } finally {
      await deleteAmqpTopic(topic);
    }
  });
});
