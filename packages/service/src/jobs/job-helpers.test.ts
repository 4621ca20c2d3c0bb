import { describe, expect, it } from 'vitest';
import { cleanFileName } from './file-name.js';
import { createProgressThrottle } from './progress-throttle.js';

describe('cleanFileName', () => {
  it('keeps only the last path segment, without control characters', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\ada\\plays.csv')).toBe('plays.csv');
    expect(cleanFileName('a\u0000b\nc.csv')).toBe('abc.csv');
  });

  it('falls back to upload.csv when nothing usable is left', () => {
    expect(cleanFileName(undefined)).toBe('upload.csv');
    expect(cleanFileName('..')).toBe('upload.csv');
    expect(cleanFileName('dir/')).toBe('upload.csv');
  });

  it('shortens very long names', () => {
    expect(cleanFileName('x'.repeat(1000))).toHaveLength(200);
  });
});

describe('createProgressThrottle', () => {
  it('reports every 5 % of the input or every interval, whichever comes first', () => {
    let now = 0;
    const due = createProgressThrottle({ totalBytes: 1000, intervalMs: 1000, now: () => now });
    expect(due({ bytesRead: 0, rowsRead: 0 })).toBe(true);
    expect(due({ bytesRead: 10, rowsRead: 1 })).toBe(false);
    expect(due({ bytesRead: 50, rowsRead: 5 })).toBe(true);
    now = 999;
    expect(due({ bytesRead: 60, rowsRead: 6 })).toBe(false);
    now = 1999;
    expect(due({ bytesRead: 61, rowsRead: 6 })).toBe(true);
  });
});
