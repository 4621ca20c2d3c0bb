import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, formatDayNumber, isCalendarDate } from './calendar.js';
import { trimEndIndex, trimStartIndex } from './whitespace.js';

describe('trimming UTF-8 bytes', () => {
  const spacey = fc.constantFrom(
    ' ',
    '\t',
    '\n',
    '\r',
    '\v',
    '\f',
    '\u00a0',
    '\u1680',
    '\u2000',
    '\u200a',
    '\u2028',
    '\u2029',
    '\u202f',
    '\u205f',
    '\u3000',
    '\ufeff',
    '\u0085',
    '\u200b',
    '\u180e',
    'x',
    'é',
    '日',
    '😀',
  );
  it('trims exactly what String.prototype.trim trims', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(spacey).map((a) => a.join('')),
          fc.string({ unit: 'grapheme' }),
        ),
        (text) => {
          const bytes = Buffer.from(text);
          const start = trimStartIndex(bytes, 0, bytes.length);
          const end = trimEndIndex(bytes, start, bytes.length);
          expect(bytes.toString('utf8', start, end)).toBe(text.trim());
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('day numbers', () => {
  it('round-trip every day from 1899 to 2101 and sort like the dates', () => {
    let previous = -1;
    for (let time = Date.UTC(1899, 0, 1); time <= Date.UTC(2101, 11, 31); time += 86_400_000) {
      const date = new Date(time).toISOString().slice(0, 10);
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const day = dayNumber(y, m, d);
      expect(day).toBe(previous === -1 ? day : previous + 1);
      expect(formatDayNumber(day)).toBe(date);
      previous = day;
    }
  });

  it('span year 0000 to 9999 in 22 bits', () => {
    expect(dayNumber(0, 1, 1)).toBe(0);
    expect(formatDayNumber(0)).toBe('0000-01-01');
    expect(formatDayNumber(dayNumber(9999, 12, 31))).toBe('9999-12-31');
    expect(dayNumber(9999, 12, 31)).toBeLessThan(2 ** 22);
  });

  it('know which dates are real', () => {
    expect(isCalendarDate(2020, 2, 29)).toBe(true);
    expect(isCalendarDate(2000, 2, 29)).toBe(true);
    expect(isCalendarDate(1900, 2, 29)).toBe(false);
    expect(isCalendarDate(2020, 2, 30)).toBe(false);
    expect(isCalendarDate(2020, 4, 31)).toBe(false);
    expect(isCalendarDate(2020, 12, 31)).toBe(true);
    expect(isCalendarDate(2020, 0, 1)).toBe(false);
    expect(isCalendarDate(2020, 1, 0)).toBe(false);
  });
});
