import { createCloudEvent, decodeCloudEvent, encodeCloudEvent } from '@playtally/transport';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { fromKafkaMessage, toKafkaMessage } from './headers-codec.js';

/** A record as kafkajs hands it to a consumer: every header value a Buffer. */
function consumed(headers: IHeaders, value: Buffer | null = Buffer.from('{}')): KafkaMessage {
  const asBuffers: IHeaders = {};
  for (const [name, raw] of Object.entries(headers)) {
    asBuffers[name] = Array.isArray(raw)
      ? raw.map((v) => Buffer.from(String(v)))
      : Buffer.from(String(raw));
  }
  return {
    key: null,
    value,
    headers: asBuffers,
    offset: '0',
    timestamp: '0',
    attributes: 0,
  };
}

const standard = {
  ce_id: 'e1',
  ce_source: '/test',
  ce_type: 'test.happened',
  ce_specversion: '1.0',
  ce_time: '2026-11-23T00:00:00.000Z',
  'content-type': 'application/json',
};

describe('kafka headers codec', () => {
  it('reads the six headers the transport writes into the six attributes', () => {
    expect(fromKafkaMessage(consumed(standard)).attributes).toEqual({
      id: 'e1',
      source: '/test',
      type: 'test.happened',
      specversion: '1.0',
      time: '2026-11-23T00:00:00.000Z',
      datacontenttype: 'application/json',
    });
  });

  it('round-trips events with a subject, extensions and binary data', () => {
    const event = createCloudEvent({
      type: 'bytes',
      source: '/test',
      subject: 'song-1',
      datacontenttype: 'application/octet-stream',
      data: new Uint8Array([0, 255, 1]),
      extensions: { traceid: 'abc', tenant: 't1' },
    });
    const record = toKafkaMessage(encodeCloudEvent(event), undefined);
    const back = fromKafkaMessage(consumed(record.headers ?? {}, record.value as Buffer));
    const decoded = decodeCloudEvent(back.attributes, back.body);
    expect({ ...decoded, data: Array.from(decoded.data as Uint8Array) }).toEqual({
      ...event,
      data: [0, 255, 1],
    });
  });

  it('leaves out headers that are not attributes, and matches names case-insensitively', () => {
    const { attributes } = fromKafkaMessage(
      consumed({
        CE_ID: 'e2',
        ce_source: '/test',
        ce_type: 't',
        ce_specversion: '1.0',
        'Content-Type': 'text/plain',
        traceparent: '00-abc',
        ce_: 'no name',
      }),
    );
    expect(attributes).toEqual({
      id: 'e2',
      source: '/test',
      type: 't',
      specversion: '1.0',
      datacontenttype: 'text/plain',
    });
  });

  it('keeps the last value of a repeated header, even among the standard six', () => {
    const { attributes } = fromKafkaMessage(consumed({ ...standard, ce_id: ['first', 'second'] }));
    expect(attributes.id).toBe('second');
    expect(attributes.source).toBe('/test');
  });

  it('reads a record without a value as an empty body', () => {
    expect(fromKafkaMessage(consumed(standard, null)).body.byteLength).toBe(0);
  });
});
