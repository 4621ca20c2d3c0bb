import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tsx src/main.ts ...args` in the example's folder (where tsconfig.json maps the workspace). */
function runMain(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsxCli, 'src/main.ts', ...args],
      { cwd: exampleDir },
      (error, stdout, stderr) => {
        const code = error ? Number((error as NodeJS.ErrnoException).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the library example (src/main.ts)', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'library-example-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('prints the totals of the canonical example and its statistics', async () => {
    const input = join(directory, 'plays.csv');
    await writeFile(input, CANONICAL_INPUT);

    const { code, stdout, stderr } = await runMain(input);

    expect(code).toBe(0);
    expect(stdout).toBe(CANONICAL_OUTPUT);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'rows read:      7',
      'rows rejected:  0',
      'groups written: 4',
      `bytes read:     ${Buffer.byteLength(CANONICAL_INPUT)}`,
      'spilled runs:   0',
    ]);
    expect(lines.at(-1)).toMatch(/^duration: {7}\d+ ms$/);
  });

  it('writes the totals into a file when given one', async () => {
    const input = join(directory, 'plays.csv');
    const output = join(directory, 'totals.csv');
    await writeFile(input, CANONICAL_INPUT);

    const { code, stdout } = await runMain(input, output);

    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(await readFile(output, 'utf8')).toBe(CANONICAL_OUTPUT);
  });

  it('fails naming the line of a bad row and leaves no partial output file', async () => {
    const input = join(directory, 'bad.csv');
    const output = join(directory, 'bad-totals.csv');
    await writeFile(input, 'Song,Date,Number of Plays\nA,2020-01-01,1\nB,2020-01-01,12a\n');

    const { code, stderr } = await runMain(input, output);

    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'error INVALID_ROW: line 3: Number of Plays must be a non-negative integer, got "12a"',
    );
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
  });

  it('counts and reports bad rows with --skip', async () => {
    const input = join(directory, 'skip.csv');
    await writeFile(
      input,
      'Song,Date,Number of Plays\nA,2020-01-01,1\nB,2020-02-30,2\nA,2020-01-01,2\n',
    );

    const { code, stdout, stderr } = await runMain('--skip', input);

    expect(code).toBe(0);
    expect(stdout).toBe('Song,Date,Total Number of Plays for Date\nA,2020-01-01,3\n');
    expect(stderr).toContain(
      'rows rejected:  1\n  line 3: Date must be a real calendar date, got "2020-02-30"\n',
    );
  });
});
