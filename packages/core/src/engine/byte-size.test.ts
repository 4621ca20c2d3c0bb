import { describe, expect, it } from 'vitest';
import { formatBytes, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it('reads plain byte counts', () => {
    expect(parseByteSize('1048576')).toBe(1_048_576);
    expect(parseByteSize(' 0 ')).toBe(0);
  });

  it('reads kB, MB, GB, TB and the bare k, m, g, t as powers of 1000, in any case', () => {
    expect(parseByteSize('256m')).toBe(256_000_000);
    expect(parseByteSize('256MB')).toBe(256_000_000);
    expect(parseByteSize('1.5 GB')).toBe(1_500_000_000);
    expect(parseByteSize('64k')).toBe(64_000);
    expect(parseByteSize('2t')).toBe(2e12);
  });

  it('reads KiB, MiB, GiB, TiB as powers of 1024', () => {
    expect(parseByteSize('256MiB')).toBe(268_435_456);
    expect(parseByteSize('64kib')).toBe(65_536);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
  });

  it('rounds fractions down to whole bytes', () => {
    expect(parseByteSize('1.5k')).toBe(1500);
    expect(parseByteSize('0.0001k')).toBe(0);
  });

  it('returns undefined for text that is not a size, or a size too large to count exactly', () => {
    for (const text of ['', 'lots', '-1', '12 parsecs', '1e6', 'MB', '1..5MB']) {
      expect(parseByteSize(text), text).toBeUndefined();
    }
    expect(parseByteSize('99999999TB')).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it('labels decimal units, so a 59.7 MB file shows as 59.7 MB', () => {
    expect(formatBytes(59_700_000)).toBe('59.7 MB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.23 kB');
    expect(formatBytes(120_000_000)).toBe('120 MB');
    expect(formatBytes(999_999)).toBe('1.00 MB');
    expect(formatBytes(1024 ** 3)).toBe('1.07 GB');
  });

  it('gives text that parseByteSize reads back to about the same size', () => {
    for (const bytes of [512, 4096, 59_700_000, 3 * 1024 ** 3]) {
      const back = parseByteSize(formatBytes(bytes).replace(' ', ''))!;
      expect(Math.abs(back - bytes) / bytes).toBeLessThan(0.01);
    }
  });
});
