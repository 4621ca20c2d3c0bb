/**
 * Interoperability on a real Redis: entries written by plain ioredis (from events built with the
 * official `cloudevents` SDK, `ce_` fields and a `data` field) reach a playtally handler or its
 * dead-letter stream attribute by attribute, foreign fields kept, and the SDK validates what
 * playtally publishes and dead-letters.
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  createCloudEvent,
  deadLetterTopic,
  type Transport,
  UnrecoverableError,
} from '@playtally/transport';
import { probeTcp, requireService, waitUntil } from '@playtally/transport/testing';
import { CloudEvent as SdkEvent } from 'cloudevents';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { deleteStreams, REDIS_URL } from './redis.js';

const available = await requireService('Redis at 127.0.0.1:6379', () =>
  probeTcp('127.0.0.1', 6379),
);

/** An SDK event as `ce_` fields and its data as the `data` field. */
function entryFields(event: SdkEvent<unknown>): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(event.toJSON())) {
    if (name !== 'data' && value !== undefined) fields.push(`ce_${name}`, String(value));
  }
  return [...fields, 'data', JSON.stringify(event.data)];
}

/** A stream entry as a name → value map. */
function named(fields: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  return map;
}

/** The SDK's reading of a raw entry's fields, validated. */
function sdkRead(fields: Record<string, string>): SdkEvent<unknown> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields))
    if (name.startsWith('ce_')) attributes[name.slice(3)] = value;
  const json = attributes.datacontenttype === 'application/json';
  const data = json ? JSON.parse(fields.data ?? 'null') : Buffer.from(fields.data ?? '');
  const event = new SdkEvent({ ...attributes, data }, false);
  expect(event.validate()).toBe(true);
  return event;
}

describe.skipIf(!available)('redis interoperability with the cloudevents SDK and ioredis', () => {
  const topic = `interop-${randomUUID().slice(0, 8)}`;
  const wrapTopic = `${topic}-wrap`;
  const handled: CloudEvent[] = [];
  const deadLetters: CloudEvent[] = [];
  const wrapped: CloudEvent[] = [];
  const redis = new Redis(REDIS_URL);
  let transport: Transport;
  const byId = (list: CloudEvent[], id: string) => list.find((event) => event.id === id);
  const deadEntries = async () =>
    ((await redis.xrange(deadLetterTopic(topic), '-', '+')) as [string, string[]][]).map(
      ([, fields]) => named(fields),
    );

  beforeAll(async () => {
    transport = createRedisTransport({ url: REDIS_URL });
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
    const sdk = new SdkEvent({
      id: 'sdk-binary',
      source: '/sdk',
      type: 'sdk.binary',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/n.json',
      tenant: 'acme',
      data: { n: 1 },
    });
    await redis.xadd(topic, '*', ...entryFields(sdk));
    const plain = ['ce_source', '/ioredis', 'ce_type', 'plain.binary', 'ce_specversion', '1.0'];
    await redis.xadd(topic, '*', 'ce_id', 'no-time', ...plain, 'traceid', 't-2', 'data', '{"n":2}');
    const structured = new SdkEvent({ id: 'sdk-structured', source: '/sdk', type: 's', data: 3 });
    await redis.xadd(
      topic,
      '*',
      'content-type',
      'application/cloudevents+json',
      'data',
      JSON.stringify(structured),
    );
    const failing = new SdkEvent({ id: 'fails', source: '/sdk', type: 't', fail: 'yes', data: 4 });
    await redis.xadd(topic, '*', ...entryFields(failing), 'traceid', 't-4');
    await redis.xadd(topic, '*', 'payload', '{"legacy":true}');
    await redis.xadd(topic, '*', 'ce_id', 'bad-json', ...plain, 'data', '{"n":');
    await redis.xadd(wrapTopic, '*', 'data', '{"legacy":true}');
    await waitUntil(
      () => handled.length >= 3 && deadLetters.length >= 3 && wrapped.length >= 1,
      30_000,
      () =>
        `3 handled (have ${handled.length}), 3 dead letters (have ${deadLetters.length}), 1 wrapped (have ${wrapped.length})`,
    );
  });

  afterAll(async () => {
    await transport?.close();
    await deleteStreams([topic, wrapTopic]);
    redis.disconnect();
  });

  it('hands binary events (dataschema, extensions, no time) and structured ones to the handler', () => {
    expect(byId(handled, 'sdk-binary')).toMatchObject({
      source: '/sdk',
      type: 'sdk.binary',
      specversion: '1.0',
      dataschema: 'https://example.com/schemas/n.json',
      extensions: { tenant: 'acme' },
      data: { n: 1 },
    });
    expect(byId(handled, 'no-time')).toMatchObject({ source: '/ioredis', data: { n: 2 } });
    expect(byId(handled, 'no-time')).not.toHaveProperty('time');
    expect(byId(handled, 'no-time')?.extensions).toBeUndefined();
    expect(byId(handled, 'sdk-structured')).toMatchObject({ type: 's', data: 3 });
  });

  it('dead-letters what it cannot take, with attributes, data and reason', () => {
    expect(byId(deadLetters, 'fails')).toMatchObject({
      data: 4,
      extensions: { fail: 'yes', deadletterreason: 'told to fail', deadlettergroup: 'interop' },
    });
    expect(byId(deadLetters, 'bad-json')?.datacontenttype).toBe('application/octet-stream');
    const legacy = deadLetters.find((e) => e.type === 'playtally.transport.undecodable');
    expect(legacy).toMatchObject({
      extensions: { deadletterreason: expect.stringMatching(/missing attribute/) },
    });
    expect(legacy).not.toHaveProperty('time');
  });

  it('keeps the foreign fields of dead letters, and the SDK validates them', async () => {
    const entries = await deadEntries();
    expect(entries).toHaveLength(3);
    for (const fields of entries) sdkRead(fields);
    expect(entries.find((f) => f.ce_id === 'fails')?.traceid).toBe('t-4');
    const legacy = entries.find((f) => f.payload !== undefined);
    expect(legacy?.payload).toBe('{"legacy":true}');
    expect(legacy).not.toHaveProperty('ce_time');
  });

  it('wraps plain JSON from the data field when asked, under the entry id', () => {
    expect(wrapped[0]).toMatchObject({
      id: expect.stringMatching(/^\d+-\d+$/),
      type: 'playtally.plain-json',
      source: `urn:playtally:topic:${wrapTopic}`,
      data: { legacy: true },
    });
  });

  it('publishes what the SDK validates, dataschema and extensions included', async () => {
    const out = `${topic}-out`;
    try {
      const event = createCloudEvent({
        type: 'playtally.out',
        source: '/playtally',
        dataschema: 'urn:schema:out',
        extensions: { tenant: 'acme' },
        data: { n: 5 },
      });
      await transport.publish(out, event);
      const [[, fields] = ['', []]] = (await redis.xrange(out, '-', '+')) as [string, string[]][];
      expect(sdkRead(named(fields))).toMatchObject({
        id: event.id,
        source: '/playtally',
        type: 'playtally.out',
        dataschema: 'urn:schema:out',
        tenant: 'acme',
        time: event.time,
        data: { n: 5 },
      });
    } finally {
      await deleteStreams([out]);
    }
  });
});
