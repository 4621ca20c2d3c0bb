/**
 * Interoperability on a real Kafka: events written by the official `cloudevents` SDK and by plain
 * kafkajs reach a playtally handler or its dead-letter topic attribute by attribute, and the SDK
 * reads what playtally publishes and dead-letters.
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  createCloudEvent,
  deadLetterTopic,
  type Transport,
  UnrecoverableError,
} from '@playtally/transport';
import { requireService, waitUntil } from '@playtally/transport/testing';
import { Kafka as KafkaBinding, CloudEvent as SdkEvent } from 'cloudevents';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from '../src/index.js';
import {
  createTestKafka,
  deleteTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from './test-broker.js';

const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

const headersAsText = (headers: IHeaders = {}): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );

/** Reads every record of `topic` from the start until there are `count`. */
async function readRaw(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `interop-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
    await waitUntil(
      () => records.length >= count,
      45_000,
      () => `${count} records on ${topic} (have ${records.length})`,
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** The SDK's reading of a raw record, validated. */
function sdkRead(record: KafkaMessage): SdkEvent<unknown> {
  const message = {
    headers: headersAsText(record.headers),
    key: record.key?.toString() ?? '',
    value: record.value?.toString() ?? '',
    body: record.value?.toString() ?? '',
  };
  expect(KafkaBinding.isEvent(message)).toBe(true);
  const event = KafkaBinding.toEvent(message) as SdkEvent<unknown>;
  expect(event.validate()).toBe(true);
  return event;
}

describe.skipIf(!available)('kafka interoperability with the cloudevents SDK and kafkajs', () => {
  const kafka = createTestKafka();
  const producer = kafka.producer();
  const topic = `interop-${randomUUID().slice(0, 8)}`;
  const wrapTopic = `${topic}-wrap`;
  const handled: CloudEvent[] = [];
  const deadLetters: CloudEvent[] = [];
  const wrapped: CloudEvent[] = [];
  let transport: Transport;

  const send = (t: string, value: string, headers: IHeaders) =>
    producer.send({ topic: t, messages: [{ value, headers }] });
  const byId = (list: CloudEvent[], id: string) => list.find((event) => event.id === id);

  beforeAll(async () => {
    transport = createKafkaTransport(testTransportOptions());
    await producer.connect();
    await transport.subscribe(
      topic,
      async (event) => {
        if (event.extensions?.fail) throw new UnrecoverableError('told to fail');
        handled.push(event);
      },
      { group: 'interop' },
    );
    await transport.subscribe(deadLetterTopic(topic), async (e) => void deadLetters.push(e), {
      group: 'interop',
    });
    await transport.subscribe(wrapTopic, async (e) => void wrapped.push(e), {
      group: 'interop',
      wrapPlainJson: true,
    });

    const binary = KafkaBinding.binary(
      new SdkEvent({
        id: 'sdk-binary',
        source: '/sdk',
        type: 'sdk.binary',
        dataschema: 'https://example.com/schemas/n.json',
        tenant: 'acme',
        data: { n: 1 },
      }),
    );
    await send(topic, JSON.stringify(binary.value), headersAsText(binary.headers));
    const plain = { ce_source: '/kafkajs', ce_type: 'plain.binary', ce_specversion: '1.0' };
    await send(topic, '{"n":2}', {
      ...plain,
      ce_id: 'no-time',
      'content-type': 'application/json',
      traceid: 'trace-2',
    });
    const structured = KafkaBinding.structured(
      new SdkEvent({
        id: 'sdk-structured',
        source: '/sdk',
        type: 'sdk.structured',
        data: { n: 3 },
      }),
    );
    await send(topic, structured.value, headersAsText(structured.headers));
    const failing = KafkaBinding.structured(
      new SdkEvent({ id: 'fails', source: '/sdk', type: 'sdk.fails', fail: 'yes', data: { n: 4 } }),
    );
    await send(topic, failing.value, { ...headersAsText(failing.headers), traceid: 'trace-4' });
    await send(topic, '{"legacy":true}', { traceid: 'trace-5' });
    await send(topic, '{"n":', { ...plain, ce_id: 'bad-json', 'content-type': 'application/json' });
    await send(topic, '{}', { ...plain, ce_id: 'bad-time', ce_time: 'yesterday' });
    await send(wrapTopic, '{"legacy":true}', { traceid: 'trace-6' });
    await waitUntil(
      () => handled.length >= 3 && deadLetters.length >= 4 && wrapped.length >= 1,
      45_000,
      () =>
        `3 handled (have ${handled.length}), 4 dead letters (have ${deadLetters.length}), 1 wrapped (have ${wrapped.length})`,
    );
  });

  afterAll(async () => {
    await transport?.close();
    await producer.disconnect();
    await deleteTopics(kafka, [topic, wrapTopic]);
  });

  it('hands binary events (with and without time, dataschema, extensions) and structured ones to the handler', () => {
    expect(byId(handled, 'sdk-binary')).toMatchObject({
      source: '/sdk',
      type: 'sdk.binary',
      specversion: '1.0',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/n.json',
      extensions: { tenant: 'acme' },
      data: { n: 1 },
    });
    expect(byId(handled, 'sdk-binary')?.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const timeless = byId(handled, 'no-time');
    expect(timeless).toMatchObject({ source: '/kafkajs', type: 'plain.binary', data: { n: 2 } });
    expect(timeless).not.toHaveProperty('time');
    // A foreign header is not an attribute.
    expect(timeless?.extensions).toBeUndefined();
    expect(byId(handled, 'sdk-structured')).toMatchObject({
      source: '/sdk',
      type: 'sdk.structured',
      data: { n: 3 },
    });
  });

  it('dead-letters what it cannot take, with the original attributes, data and reason', () => {
    expect(byId(deadLetters, 'fails')).toMatchObject({
      type: 'sdk.fails',
      data: { n: 4 },
      extensions: { fail: 'yes', deadletterreason: 'told to fail', deadlettergroup: 'interop' },
    });
    const legacy = deadLetters.find((e) => e.type === 'playtally.transport.undecodable');
    expect(legacy).toMatchObject({
      source: 'urn:playtally:transport',
      data: { legacy: true },
      extensions: { deadletterreason: expect.stringMatching(/missing attribute/) },
    });
    expect(legacy).not.toHaveProperty('time');
    const badJson = byId(deadLetters, 'bad-json');
    expect(badJson?.datacontenttype).toBe('application/octet-stream');
    expect(Buffer.from(badJson?.data as Uint8Array).toString()).toBe('{"n":');
    expect(byId(deadLetters, 'bad-time')?.extensions).toMatchObject({ invalidtime: 'yesterday' });
  });

  it('writes dead letters the SDK reads in binary mode, keeping foreign headers', async () => {
    const records = await readRaw(kafka, deadLetterTopic(topic), 4);
    for (const record of records) {
      const headers = headersAsText(record.headers);
      expect(headers['content-type']).not.toMatch(/cloudevents/);
      const event = sdkRead(record);
      expect(event.deadletterreason).toBe(headers.ce_deadletterreason);
    }
    const failed = records.find((r) => headersAsText(r.headers).ce_id === 'fails');
    expect(headersAsText(failed?.headers).traceid).toBe('trace-4');
    const legacy = records.find((r) => headersAsText(r.headers).traceid === 'trace-5');
    expect(legacy?.value?.toString()).toBe('{"legacy":true}');
    expect(headersAsText(legacy?.headers)).not.toHaveProperty('ce_time');
  });

  it('wraps plain JSON into a CloudEvent on a subscription that asks for it', () => {
    expect(wrapped[0]).toMatchObject({
      type: 'playtally.plain-json',
      source: `urn:playtally:topic:${wrapTopic}`,
      datacontenttype: 'application/json',
      data: { legacy: true },
    });
  });

  it('publishes what the SDK reads and validates, dataschema and extensions included', async () => {
    const published = `${topic}-out`;
    try {
      const event = createCloudEvent({
        type: 'playtally.out',
        source: '/playtally',
        subject: 's',
        dataschema: 'urn:schema:out',
        extensions: { tenant: 'acme' },
        data: { n: 5 },
      });
      await transport.publish(published, event);
      const [record] = await readRaw(kafka, published, 1);
      const sdk = sdkRead(record as KafkaMessage);
      expect(sdk).toMatchObject({
        id: event.id,
        source: '/playtally',
        type: 'playtally.out',
        subject: 's',
        dataschema: 'urn:schema:out',
        tenant: 'acme',
        time: event.time,
        data: { n: 5 },
      });
    } finally {
      await deleteTopics(kafka, [published]);
    }
  });
});
