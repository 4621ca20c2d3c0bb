import { CloudEvent as SdkEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  createCloudEvent,
  decodeCloudEvent,
  encodeCloudEvent,
  toJsonEventFormat,
} from './cloud-event.js';
import { createDeadLetter } from './dead-letter.js';
import { attributeText, readHeaders } from './kit/header-binding.js';
import { createMemoryTransport } from './memory/memory-transport.js';
import { deadLetterTopic, type SubscribeOptions } from './transport.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const CORE = { id: 'e1', source: '/other', type: 'other.thing', specversion: '1.0' };

/** The SDK's view of an event: built from our JSON format, validated. */
function sdkEvent(json: Record<string, unknown>): SdkEvent {
  const event = new SdkEvent(json, false);
  expect(event.validate()).toBe(true);
  return event;
}

describe('CloudEvents decoding shared by every transport', () => {
  it('keeps a missing time absent and refuses a time that is not RFC 3339', () => {
    const event = decodeCloudEvent(CORE, bytes('{}'));
    expect('time' in event).toBe(false);
    expect(encodeCloudEvent(event).attributes).not.toHaveProperty('time');
    expect(toJsonEventFormat(event)).not.toHaveProperty('time');
    expect(() => decodeCloudEvent({ ...CORE, time: '[object Object]' }, bytes('{}'))).toThrow(
      /time that is not RFC 3339/,
    );
    expect(() => decodeCloudEvent({ ...CORE, time: '2024-13-40T00:00:00Z' }, bytes('{}'))).toThrow(
      /RFC 3339/,
    );
    expect(decodeCloudEvent({ ...CORE, time: '2024-05-01T12:00:00+02:00' }, bytes('1')).time).toBe(
      '2024-05-01T12:00:00+02:00',
    );
  });

  it('converts native header types: an AMQP timestamp, a Date, bytes and numbers', () => {
    expect(attributeText({ '!': 'timestamp', value: 1_700_000_000 })).toBe(
      '2023-11-14T22:13:20.000Z',
    );
    expect(attributeText(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(attributeText(Buffer.from('abc'))).toBe('abc');
    expect(attributeText(42)).toBe('42');
    const read = readHeaders(
      { ce_ID: Buffer.from('x'), 'Content-Type': 'text/plain', traceid: Buffer.from('t'), k: 1 },
      { prefixes: ['ce_'], contentType: 'content-type', internal: ['k'] },
    );
    expect(read.attributes).toEqual({ id: 'x', datacontenttype: 'text/plain' });
    expect(read.foreign).toEqual({ traceid: Buffer.from('t') });
  });

  it('reads structured mode, data_base64 included, as the SDK writes it', () => {
    const sdk = new SdkEvent({
      id: 's1',
      source: '/sdk',
      type: 'sdk.structured',
      dataschema: 'https://example.com/schema.json',
      tenant: 'acme',
      data: { n: 1 },
    });
    const event = decodeCloudEvent(
      { datacontenttype: 'application/cloudevents+json; charset=utf-8' },
      bytes(JSON.stringify(sdk)),
    );
    expect(event).toMatchObject({
      id: 's1',
      source: '/sdk',
      type: 'sdk.structured',
      time: sdk.time,
      dataschema: 'https://example.com/schema.json',
      extensions: { tenant: 'acme' },
      data: { n: 1 },
    });
    const binary = new SdkEvent({
      id: 'b',
      source: '/s',
      type: 't',
      data: new Uint8Array([0, 255]),
    });
    const decoded = decodeCloudEvent(
      { datacontenttype: 'application/cloudevents+json' },
      bytes(JSON.stringify(binary)),
    );
    expect(decoded.data).toEqual(new Uint8Array([0, 255]));
    expect(() =>
      decodeCloudEvent({ datacontenttype: 'application/cloudevents+json' }, bytes('{"id":"x"}')),
    ).toThrow(/missing attribute\(s\) source, type, specversion/);
  });

  it('writes bytes as data_base64 in the JSON format, which the SDK reads back', () => {
    const event = createCloudEvent({
      type: 't',
      source: '/s',
      datacontenttype: 'application/octet-stream',
      dataschema: 'urn:schema',
      data: new Uint8Array([1, 2, 250]),
    });
    const json = toJsonEventFormat(event);
    expect(json).not.toHaveProperty('data');
    expect(json.data_base64).toBe(Buffer.from([1, 2, 250]).toString('base64'));
    const sdk = sdkEvent(json);
    expect(sdk.dataschema).toBe('urn:schema');
    expect(Buffer.from(sdk.data as unknown as Uint8Array)).toEqual(Buffer.from([1, 2, 250]));
  });

  it('writes dead letters in binary mode, keeping foreign metadata and inventing no time', () => {
    const structured = createDeadLetter({
      attributes: { datacontenttype: 'application/cloudevents+json' },
      body: bytes(JSON.stringify({ ...CORE, data: { n: 1 } })),
      foreign: { headers: { traceid: 't-1' } },
      reason: 'boom',
      group: 'g',
      attempts: 5,
    });
    expect(structured.attributes).toEqual({
      ...CORE,
      datacontenttype: 'application/json',
      deadletterreason: 'boom',
      deadlettergroup: 'g',
      deadletterattempts: '5',
    });
    expect(new TextDecoder().decode(structured.body)).toBe('{"n":1}');
    expect(structured.foreign).toEqual({ headers: { traceid: 't-1' } });

    const legacy = createDeadLetter({
      attributes: { time: 'yesterday' },
      body: bytes('{"legacy":true}'),
      reason: 'not a CloudEvent',
      group: undefined,
      attempts: 1,
    });
    expect(legacy.attributes).toMatchObject({
      source: 'urn:playtally:transport',
      type: 'playtally.transport.undecodable',
      datacontenttype: 'application/json',
      invalidtime: 'yesterday',
    });
    expect(legacy.attributes).not.toHaveProperty('time');
    expect(legacy.attributes).not.toHaveProperty('deadlettergroup');
    const unreadable = createDeadLetter({
      attributes: { datacontenttype: 'application/cloudevents+json' },
      body: bytes('{'),
      reason: 'bad',
      group: 'g',
      attempts: 1,
    });
    expect(unreadable.attributes.datacontenttype).toBe('application/octet-stream');
    for (const dead of [structured, legacy, unreadable]) {
      const event = decodeCloudEvent(dead.attributes, dead.body);
      sdkEvent(toJsonEventFormat(event));
    }
  });
});

describe('memory transport with foreign producers', () => {
  async function deliver(
    attributes: Record<string, string>,
    body: string,
    options: SubscribeOptions = {},
  ): Promise<{ handled: CloudEvent[]; dead: CloudEvent[] }> {
    const transport = createMemoryTransport();
    const handled: CloudEvent[] = [];
    const dead: CloudEvent[] = [];
    let resolve = (): void => {};
    const settled = new Promise<void>((r) => {
      resolve = r;
    });
    await transport.subscribe(
      't',
      async (event) => {
        handled.push(event);
        resolve();
      },
      { group: 'g', ...options },
    );
    await transport.subscribe(
      deadLetterTopic('t'),
      async (event) => {
        dead.push(event);
        resolve();
      },
      { group: 'g' },
    );
    await transport.publishRaw('t', attributes, bytes(body));
    await settled;
    await transport.close();
    return { handled, dead };
  }

  it('dead-letters plain JSON by default, with its body, and wraps it when asked', async () => {
    const byDefault = await deliver({}, '{"legacy":true}');
    expect(byDefault.handled).toEqual([]);
    expect(byDefault.dead[0]).toMatchObject({
      type: 'playtally.transport.undecodable',
      data: { legacy: true },
      extensions: { deadletterreason: expect.stringMatching(/missing attribute/) },
    });
    const wrapped = await deliver({}, '{"legacy":true}', { wrapPlainJson: true });
    expect(wrapped.dead).toEqual([]);
    expect(wrapped.handled[0]).toMatchObject({
      type: 'playtally.plain-json',
      source: 'urn:playtally:topic:t',
      specversion: '1.0',
      datacontenttype: 'application/json',
      data: { legacy: true },
    });
    expect(wrapped.handled[0]?.time).toBeUndefined();
    const chosen = await deliver({}, '[1]', { wrapPlainJson: { type: 'legacy.v1', source: '/l' } });
    expect(chosen.handled[0]).toMatchObject({ type: 'legacy.v1', source: '/l', data: [1] });
    const notJson = await deliver({}, 'plain text', { wrapPlainJson: true });
    expect(notJson.handled).toEqual([]);
    expect(notJson.dead[0]?.datacontenttype).toBe('application/octet-stream');
  });

  it('hands structured events to the handler and keeps a binary event without time timeless', async () => {
    const structured = await deliver(
      { datacontenttype: 'application/cloudevents+json' },
      JSON.stringify({ ...CORE, time: '2024-05-01T00:00:00Z', data: { n: 2 } }),
    );
    expect(structured.handled[0]).toMatchObject({ ...CORE, time: '2024-05-01T00:00:00Z' });
    const timeless = await deliver(CORE, '{"n":3}');
    expect(timeless.handled[0]?.time).toBeUndefined();
    expect(timeless.handled[0]?.data).toEqual({ n: 3 });
  });
});
