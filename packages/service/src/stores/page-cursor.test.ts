import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PAGE_LIMIT,
  decodePageCursor,
  encodePageCursor,
  MAX_PAGE_LIMIT,
  resolvePageLimit,
} from './page-cursor.js';
import { normalizeTimestamp } from './timestamp.js';

describe('page cursors', () => {
  it('round-trip a position through an opaque url-safe string', () => {
    const position = { at: '2024-05-06T07:08:09.010Z', id: 'id with "quotes" and ünïcode' };
    const cursor = encodePageCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageCursor(cursor)).toEqual(position);
  });

  it('treat an absent, null or empty cursor as the first page', () => {
    expect(decodePageCursor(undefined)).toBeUndefined();
    expect(decodePageCursor(null)).toBeUndefined();
    expect(decodePageCursor('')).toBeUndefined();
  });

  it('reject anything else with VALIDATION_FAILED', () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    for (const cursor of ['!!', 'e30', forged, Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodePageCursor(cursor)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});

describe('page limits', () => {
  it('default to 50 and clamp to 500', () => {
    expect(resolvePageLimit(undefined)).toBe(DEFAULT_PAGE_LIMIT);
    expect(DEFAULT_PAGE_LIMIT).toBe(50);
    expect(resolvePageLimit(10_000)).toBe(MAX_PAGE_LIMIT);
    expect(MAX_PAGE_LIMIT).toBe(500);
    expect(resolvePageLimit(7)).toBe(7);
  });

  it('reject zero, negative and fractional limits', () => {
    for (const limit of [0, -1, 2.5, Number.NaN]) {
      expect(() => resolvePageLimit(limit)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});

describe('normalizeTimestamp', () => {
  it('converts any parsable time to the canonical UTC form, so strings sort as instants', () => {
    expect(normalizeTimestamp('2024-01-01T02:00:00+02:00', 'time')).toBe(
      '2024-01-01T00:00:00.000Z',
    );
    expect(normalizeTimestamp('2024-01-01T00:00:00Z', 'time')).toBe('2024-01-01T00:00:00.000Z');
  });

  it('rejects what is not a time, naming the field', () => {
    expect(() => normalizeTimestamp('soon', 'receivedAt')).toThrow(
      /receivedAt must be an ISO 8601/,
    );
    expect(() => normalizeTimestamp('+010000-01-01T00:00:00.000Z', 'receivedAt')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
