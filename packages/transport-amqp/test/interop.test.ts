/**
 * Interoperability on a real RabbitMQ: events written by plain amqplib (from events built with
 * the official `cloudevents` SDK, the AMQP binding's `cloudEvents_` headers) reach a playtally
 * handler or its dead-letter queue attribute by attribute, native AMQP timestamps included, and
 * the SDK validates what playtally publishes and dead-letters.
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  createCloudEvent,
  deadLetterTopic,
  decodeCloudEvent,
  type Transport,
  UnrecoverableError,
} from '@playtally/transport';
import { probeTcp, requireService, waitUntil } from '@playtally/transport/testing';
import amqp, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { CloudEvent as SdkEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpTransport, decodeAmqpMessage, groupQueueName } from '../src/index.js';
import { AMQP_URL, deleteTopics } from './rabbitmq.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

/** The AMQP binding's binary-mode headers of an SDK event (data and datacontenttype excluded). */
function bindingHeaders(event: SdkEvent<unknown>): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(event.toJSON())) {
    if (!['data', 'data_base64', 'datacontenttype'].includes(name) && value !== undefined)
      headers[`cloudEvents_${name}`] = value;
  }
  return headers;
}

/** The SDK's reading of a raw AMQP message (binary mode), validated. */
function sdkRead(message: GetMessage): SdkEvent<unknown> {
  const headers = message.properties.headers ?? {};
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('cloudEvents_')) attributes[name.slice(12)] = String(value);
  }
  const contentType = message.properties.contentType as string;
  const body = message.content.toString();
  const data = contentType === 'application/json' ? JSON.parse(body) : message.content;
  const event = new SdkEvent({ ...attributes, datacontenttype: contentType, data }, false);
  expect(event.validate()).toBe(true);
  return event;
}

/** Takes `count` messages off `queue`, waiting for them. */
async function take(channel: ConfirmChannel, queue: string, count: number): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  const deadline = Date.now() + 30_000;
  while (messages.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} on ${queue}`);
    const message = await channel.get(queue, { noAck: true });
    if (message === false) await new Promise((resolve) => setTimeout(resolve, 50));
    else messages.push(message);
  }
  return messages;
}

describe.skipIf(!available)('amqp interoperability with the cloudevents SDK and amqplib', () => {
  const topic = `interop-${randomUUID().slice(0, 8)}`;
  const wrapTopic = `${topic}-wrap`;
  const handled: CloudEvent[] = [];
  const wrapped: CloudEvent[] = [];
  const deadLetters: GetMessage[] = [];
  let transport: Transport;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  const send = async (exchange: string, body: string, options: amqp.Options.Publish) => {
    channel.publish(exchange, '', Buffer.from(body), options);
    await channel.waitForConfirms();
  };
  const byId = (id: string) => handled.find((event) => event.id === id);
  const deadById = (id: string) =>
    deadLetters.find((m) => String(m.properties.headers?.cloudEvents_id) === id);
  const deadByMessageId = (id: string) => deadLetters.find((m) => m.properties.messageId === id);

  beforeAll(async () => {
    transport = createAmqpTransport({ url: AMQP_URL });
    connection = await amqp.connect(AMQP_URL);
    channel = await connection.createConfirmChannel();
    await transport.subscribe(
      topic,
      async (event) => {
        if (event.extensions?.fail) throw new UnrecoverableError('told to fail');
        handled.push(event);
      },
      { group: 'interop' },
    );
    await transport.subscribe(wrapTopic, async (e) => void wrapped.push(e), {
      group: 'interop',
      wrapPlainJson: true,
    });

    const sdk = new SdkEvent({
      id: 'sdk-binary',
      source: '/sdk',
      type: 'sdk.binary',
      dataschema: 'https://example.com/schemas/n.json',
      tenant: 'acme',
      data: { n: 1 },
    });
    await send(topic, JSON.stringify(sdk.data), {
      contentType: 'application/json',
      headers: bindingHeaders(sdk),
    });
    const plain = {
      cloudEvents_source: '/amqplib',
      cloudEvents_type: 'plain.binary',
      cloudEvents_specversion: '1.0',
    };
    await send(topic, '{"n":2}', {
      contentType: 'application/json',
      headers: {
        ...plain,
        cloudEvents_id: 'native-time',
        cloudEvents_time: { '!': 'timestamp', value: 1_700_000_000 },
      },
    });
    await send(topic, '{"n":3}', { headers: { ...plain, cloudEvents_id: 'no-time' } });
    const structured = new SdkEvent({
      id: 'sdk-structured',
      source: '/sdk',
      type: 'sdk.structured',
      data: { n: 4 },
    });
    await send(topic, JSON.stringify(structured), {
      contentType: 'application/cloudevents+json',
    });
    const failing = new SdkEvent({ id: 'fails', source: '/sdk', type: 't', fail: 'yes', data: 5 });
    await send(topic, JSON.stringify(failing.data), {
      contentType: 'application/json',
      messageId: 'amqp-fails',
      correlationId: 'corr-5',
      headers: { ...bindingHeaders(failing), traceid: 'trace-5' },
    });
    await send(topic, '{"legacy":true}', {
      contentType: 'application/json',
      messageId: 'legacy-6',
      correlationId: 'corr-6',
      headers: { traceid: 'trace-6' },
    });
    await send(topic, '{"n":', {
      contentType: 'application/json',
      headers: { ...plain, cloudEvents_id: 'bad-json' },
    });
    await send(wrapTopic, '{"legacy":true}', { messageId: 'legacy-7' });
    await waitUntil(
      () => handled.length >= 4 && wrapped.length >= 1,
      30_000,
      () => `4 handled (have ${handled.length}) and 1 wrapped (have ${wrapped.length})`,
    );
    deadLetters.push(
      ...(await take(channel, groupQueueName(deadLetterTopic(topic), 'interop'), 3)),
    );
  });

  afterAll(async () => {
    await transport?.close();
    await connection?.close();
    await deleteTopics([topic, wrapTopic]);
  });

  it('hands binary events (dataschema, extensions, native and missing time) and structured ones to the handler', () => {
    expect(byId('sdk-binary')).toMatchObject({
      source: '/sdk',
      type: 'sdk.binary',
      specversion: '1.0',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/n.json',
      extensions: { tenant: 'acme' },
      data: { n: 1 },
    });
    expect(byId('native-time')).toMatchObject({
      time: '2023-11-14T22:13:20.000Z',
      data: { n: 2 },
    });
    expect(byId('no-time')).toMatchObject({ source: '/amqplib', data: { n: 3 } });
    expect(byId('no-time')).not.toHaveProperty('time');
    expect(byId('sdk-structured')).toMatchObject({ type: 'sdk.structured', data: { n: 4 } });
  });

  it('dead-letters with the original message id, correlation id and foreign headers', () => {
    expect(deadLetters).toHaveLength(3);
    const failed = deadByMessageId('amqp-fails');
    expect(failed?.properties).toMatchObject({
      correlationId: 'corr-5',
      headers: { traceid: 'trace-5', cloudEvents_deadletterreason: 'told to fail' },
    });
    const legacy = deadByMessageId('legacy-6');
    expect(legacy?.properties).toMatchObject({
      correlationId: 'corr-6',
      headers: { traceid: 'trace-6' },
    });
    expect(legacy?.properties.headers).not.toHaveProperty('cloudEvents_time');
    expect(legacy?.content.toString()).toBe('{"legacy":true}');
    const legacyEvent = decodeCloudEvent(
      decodeAmqpMessage(legacy as GetMessage).message.attributes,
      (legacy as GetMessage).content,
    );
    expect(legacyEvent).toMatchObject({
      source: 'urn:playtally:transport',
      type: 'playtally.transport.undecodable',
      data: { legacy: true },
      extensions: { deadletterreason: expect.stringMatching(/missing attribute/) },
    });
    expect(deadById('bad-json')?.properties.contentType).toBe('application/octet-stream');
  });

  it('writes dead letters the SDK validates', () => {
    for (const message of deadLetters) {
      const event = sdkRead(message);
      expect(event.deadletterattempts).toBe('1');
    }
  });

  it('wraps plain JSON into a CloudEvent under its AMQP message id when asked', () => {
    expect(wrapped[0]).toMatchObject({
      id: 'legacy-7',
      type: 'playtally.plain-json',
      source: `urn:playtally:topic:${wrapTopic}`,
      data: { legacy: true },
    });
  });

  it('publishes what the SDK validates, dataschema and extensions included', async () => {
    const out = `${topic}-out`;
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.assertExchange(out, 'fanout', { durable: true });
    await channel.bindQueue(queue, out, '');
    const event = createCloudEvent({
      type: 'playtally.out',
      source: '/playtally',
      dataschema: 'urn:schema:out',
      extensions: { tenant: 'acme' },
      data: { n: 8 },
    });
    await transport.publish(out, event);
    const [message] = await take(channel, queue, 1);
    expect(sdkRead(message as GetMessage)).toMatchObject({
      id: event.id,
      source: '/playtally',
      type: 'playtally.out',
      dataschema: 'urn:schema:out',
      tenant: 'acme',
      time: event.time,
      data: { n: 8 },
    });
    await channel.deleteExchange(out);
  });
});
