import {
  createCloudEvent,
  decodeCloudEvent,
  encodeCloudEvent,
  encodeCloudEventParts,
} from '@playtally/transport';
import { describe, expect, it } from 'vitest';
import { decodeStreamFields, encodeStreamFields } from './redis-fields.js';

/** The field list as XREADGROUP returns it with Buffer replies. */
const asRead = (fields: (string | Buffer)[]) => fields.map((field) => Buffer.from(field));

const event = createCloudEvent({ type: 'played', source: '/test', data: { song: 'Umbrella' } });

describe('redis stream fields', () => {
  it('writes a text body as a string holding exactly the bytes of the encoded body', () => {
    const fields = encodeStreamFields(encodeCloudEventParts(event), undefined);
    const fromBytes = encodeStreamFields(encodeCloudEvent(event), undefined);
    expect(typeof fields.at(-1)).toBe('string');
    expect(asRead(fields)).toEqual(asRead(fromBytes));
  });

  it('reads back the standard fields, with and without a key', () => {
    for (const key of [undefined, 'song-1']) {
      const read = decodeStreamFields(
        asRead(encodeStreamFields(encodeCloudEventParts(event), key)),
      );
      expect(read.key).toBe(key);
      expect(decodeCloudEvent(read.message.attributes, read.message.body)).toEqual(event);
    }
  });

  it('reads back subjects, extensions and binary data', () => {
    const rich = createCloudEvent({
      type: 'bytes',
      source: '/test',
      subject: 's',
      datacontenttype: 'application/octet-stream',
      data: new Uint8Array([0, 255]),
      extensions: { traceid: 'abc' },
    });
    const read = decodeStreamFields(asRead(encodeStreamFields(encodeCloudEventParts(rich), 'k')));
    const decoded = decodeCloudEvent(read.message.attributes, read.message.body);
    expect({ ...decoded, data: Array.from(decoded.data as Uint8Array) }).toEqual({
      ...rich,
      data: [0, 255],
    });
    expect(read.key).toBe('k');
  });

  it('reads fields in any order, ignoring unknown ones, as a foreign producer may write them', () => {
    const read = decodeStreamFields(
      asRead([
        'data',
        '{"n":1}',
        'ce_type',
        't',
        'origin',
        'elsewhere',
        'ce_id',
        'e1',
        'ce_source',
        '/s',
        'ce_specversion',
        '1.0',
      ]),
    );
    expect(read.message.attributes).toEqual({
      type: 't',
      id: 'e1',
      source: '/s',
      specversion: '1.0',
    });
    expect(Buffer.from(read.message.body).toString()).toBe('{"n":1}');
    expect(read.key).toBeUndefined();
  });
});
