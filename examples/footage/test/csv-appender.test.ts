import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCsvAppender } from '../src/index.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'csv-appender-'));
});
afterEach(() => rm(directory, { recursive: true, force: true }));

describe('createCsvAppender', () => {
  it('creates the file and its directory with the header first', async () => {
    const path = join(directory, 'a', 'b', 'out.csv');
    await createCsvAppender({ path, header: 'x,y' }).append('1,2\n');
    expect(await readFile(path, 'utf8')).toBe('x,y\n1,2\n');
  });

  it('writes the header into an existing empty file but not into one with content', async () => {
    const empty = join(directory, 'empty.csv');
    const filled = join(directory, 'filled.csv');
    await writeFile(empty, '');
    await writeFile(filled, 'x,y\n0,0\n');
    await createCsvAppender({ path: empty, header: 'x,y' }).append('1,2\n');
    await createCsvAppender({ path: filled, header: 'x,y' }).append('1,2\n');
    expect(await readFile(empty, 'utf8')).toBe('x,y\n1,2\n');
    expect(await readFile(filled, 'utf8')).toBe('x,y\n0,0\n1,2\n');
  });

  it('starts on a new line when the file ends in a cut-short line', async () => {
    const path = join(directory, 'cut.csv');
    await writeFile(path, 'x,y\n0,');
    await createCsvAppender({ path, header: 'x,y' }).append('1,2\n');
    expect(await readFile(path, 'utf8')).toBe('x,y\n0,\n1,2\n');
  });

  it('keeps appending after a failed append', async () => {
    const path = join(directory, 'out.csv');
    const appender = createCsvAppender({ path, header: 'x,y' });
    await mkdir(path);
    await expect(appender.append('1,2\n')).rejects.toThrow(/EISDIR/);
    await rm(path, { recursive: true });
    await appender.append('3,4\n');
    expect(await readFile(path, 'utf8')).toBe('x,y\n3,4\n');
  });
});
