import { describe, expect, it } from 'vitest';
import {
  createCloudEvent,
  decodeCloudEvent,
  encodeCloudEvent,
  encodeCloudEventParts,
} from './cloud-event.js';

const text = (body: Uint8Array) => new TextDecoder().decode(body);

describe('CloudEvent codec', () => {
  it('builds an event with an id, the time and JSON as the default content type', () => {
    const event = createCloudEvent({ type: 'song.played', source: '/player', data: { n: 1 } });
    expect(event).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json' });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(event.time ?? ''))).toBe(false);
  });

  it('carries dataschema as the core attribute it is, through encoding and decoding', () => {
    const event = createCloudEvent({
      type: 'song.played',
      source: '/player',
      dataschema: 'https://example.com/schemas/song-played.json',
      data: { n: 1 },
    });
    const { attributes, body } = encodeCloudEvent(event);
    expect(attributes.dataschema).toBe('https://example.com/schemas/song-played.json');
    const decoded = decodeCloudEvent(attributes, body);
    expect(decoded).toEqual(event);
    expect(decoded.extensions).toBeUndefined();
  });

  it('keeps a foreign producer dataschema on decode instead of dropping it', () => {
    const decoded = decodeCloudEvent(
      { id: '1', source: '/s', type: 't', specversion: '1.0', dataschema: 'urn:schema:1' },
      new TextEncoder().encode('{}'),
    );
    expect(decoded.dataschema).toBe('urn:schema:1');
  });

  it('still refuses core attribute names as extensions, and an empty dataschema', () => {
    for (const name of ['dataschema', 'subject', 'id']) {
      expect(() =>
        createCloudEvent({ type: 't', source: '/s', data: 1, extensions: { [name]: 'x' } }),
      ).toThrow(/not a core attribute/);
    }
    expect(() => createCloudEvent({ type: 't', source: '/s', data: 1, dataschema: '' })).toThrow(
      /dataschema must not be empty/,
    );
  });

  it('encodes JSON, text and bytes as the body, and extensions as attributes', () => {
    const json = encodeCloudEvent(
      createCloudEvent({ type: 't', source: '/s', data: { a: 1 }, extensions: { tenant: 'x' } }),
    );
    expect(text(json.body)).toBe('{"a":1}');
    expect(json.attributes.tenant).toBe('x');
    const plain = encodeCloudEventParts(
      createCloudEvent({ type: 't', source: '/s', datacontenttype: 'text/plain', data: 'hi' }),
    );
    expect(plain.body).toBe('hi');
    const bytes = new Uint8Array([0, 255]);
    const binary = encodeCloudEvent(
      createCloudEvent({
        type: 't',
        source: '/s',
        datacontenttype: 'application/octet-stream',
        data: bytes,
      }),
    );
    expect(binary.body).toBe(bytes);
  });

  it('names what is wrong with a message that is not a CloudEvent', () => {
    const body = new TextEncoder().encode('{}');
    expect(() => decodeCloudEvent({ id: '1', source: '/s' }, body)).toThrow(
      /missing attribute\(s\) type, specversion/,
    );
    expect(() =>
      decodeCloudEvent({ id: '1', source: '/s', type: 't', specversion: '0.3' }, body),
    ).toThrow(/unsupported CloudEvents specversion "0.3"/);
    expect(() =>
      decodeCloudEvent(
        { id: '1', source: '/s', type: 't', specversion: '1.0' },
        new TextEncoder().encode('{'),
      ),
    ).toThrow(/not valid JSON/);
  });
});
