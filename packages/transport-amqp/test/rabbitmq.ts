import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deadLetterTopic, type EncodedCloudEvent } from '@playtally/transport';
import amqp from 'amqplib';
import { encodeAmqpMessage } from '../src/index.js';

/** The broker the tests use. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Runs `rabbitmqctl -q <args>` and returns its output. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

/** Queues bound to the exchanges of `topic` and its dead-letter topic, as `exchange -> queue`. */
export async function boundQueues(topic: string): Promise<string[]> {
  const exchanges = new Set([topic, deadLetterTopic(topic)]);
  return (await rabbitmqctl('list_bindings', 'source_name', 'destination_name'))
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([source]) => source !== undefined && exchanges.has(source))
    .map(([source, queue]) => `${source} -> ${queue}`);
}

/** Publishes a message exactly as given, as a foreign producer would. */
export async function publishRaw(
  topic: string,
  attributes: Readonly<Record<string, string>>,
  body: Uint8Array,
) {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(topic, 'fanout', { durable: true });
    const { content, options } = encodeAmqpMessage(
      { attributes, body } satisfies EncodedCloudEvent,
      undefined,
    );
    channel.publish(topic, '', content, options);
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** Deletes the exchanges of `topics` (and their dead-letter topics) and the queues bound to them. */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const doomed = new Set(topics.flatMap((topic) => [topic, deadLetterTopic(topic)]));
  const queues = (await rabbitmqctl('list_bindings', 'source_name', 'destination_name'))
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([source]) => source !== undefined && doomed.has(source))
    .map(([, queue]) => queue as string);
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of new Set(queues)) await channel.deleteQueue(queue);
    for (const exchange of doomed) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
