import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceAggregate } from '../engine/reference-aggregate.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

interface Finished {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Starts `playtally` as a real child process (TypeScript sources through tsx). */
function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: repoRoot });
}

function finish(child: ChildProcess, stdin?: string | Buffer): Promise<Finished> {
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin!.on('error', () => {}); // EPIPE when the child exits before reading it all
  if (stdin !== undefined) child.stdin!.end(stdin);
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
  });
}

const playtally = (args: string[], stdin?: string | Buffer) => finish(start(args), stdin ?? '');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-cli-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('playtally', () => {
  it('lists its commands and exit codes with --help, and exits 0', async () => {
    const { code, stdout } = await playtally(['--help']);
    expect(code).toBe(0);
    expect(stdout.toString()).toMatch(/aggregate .*\n.*generate /);
    expect(stdout.toString()).toContain('Exit codes: 0 done, 1 bad input, 2 usage error');
  });

  it('exits 2 on a usage error, with a hint', async () => {
    expect((await playtally([])).code).toBe(2);
    const unknown = await playtally(['tally']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "tally"');
    const badOption = await playtally(['aggregate', 'x.csv', '--memory-budget', 'lots']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('--memory-budget must be a size such as 256MiB');
    expect(badOption.stderr).toContain('see: playtally aggregate --help');
  });
});

describe('playtally generate', () => {
  it('writes the same bytes for the same options, and other bytes for another seed', async () => {
    const args = ['generate', '--rows', '20k', '--songs', '500', '--days', '10', '--seed', '3'];
    const first = await playtally(args);
    const second = await playtally(args);
    const other = await playtally([...args.slice(0, -1), '4']);
    expect(first.code).toBe(0);
    expect(first.stdout.equals(second.stdout)).toBe(true);
    expect(first.stdout.equals(other.stdout)).toBe(false);
    const text = first.stdout.toString();
    expect(text.startsWith('Song,Date,Number of Plays\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(20_000 + 2);
    expect(text).toMatch(/\n"[^"\n]*, Pt\. 2",/); // quoted: a comma in the name
    expect(text).toMatch(/\n"[^\n]*""Live""[^\n]*",/); // quoted: quotes in the name
    expect(text).toMatch(/[\u{10000}-\u{10FFFF}]/u); // astral characters
  });

  it('writes to a file with -o', async () => {
    const file = join(dir, 'generated.csv');
    const { code } = await playtally(['generate', '--rows', '10', '-o', file]);
    expect(code).toBe(0);
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(12);
  });
});

describe('playtally aggregate', () => {
  let plays: Buffer;
  let input: string;
  beforeAll(async () => {
    input = join(dir, 'plays.csv');
    expect(
      (
        await playtally([
          'generate',
          '--rows',
          '50k',
          '--songs',
          '300',
          '--days',
          '30',
          '-o',
          input,
        ])
      ).code,
    ).toBe(0);
    plays = await readFile(input);
  });

  it('aggregates a file into -o, exactly like the reference, leaving no partial file', async () => {
    const output = join(dir, 'totals.csv');
    const { code, stderr } = await playtally(['aggregate', input, '-o', output]);
    expect(code).toBe(0);
    expect(stderr).toBe(''); // stderr is not a terminal: no progress bar, no summary
    expect(await readFile(output, 'utf8')).toBe(referenceAggregate(plays).csv);
    expect((await readdir(dir)).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('reads standard input with - and writes standard output', async () => {
    const { code, stdout } = await playtally(['aggregate', '-'], plays);
    expect(code).toBe(0);
    expect(stdout.toString()).toBe(referenceAggregate(plays).csv);
  });

  it('spills with a tiny memory budget and gives the same output, leaving the temp dir empty', async () => {
    const tempDir = await mkdtemp(join(dir, 'spills-'));
    const { code, stdout } = await playtally([
      'aggregate',
      input,
      '--memory-budget',
      '0',
      '--temp-dir',
      tempDir,
    ]);
    expect(code).toBe(0);
    expect(stdout.toString()).toBe(referenceAggregate(plays).csv);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('exits 1 on bad input, naming the line, and writes no output file', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(
      bad,
      'Song,Date,Number of Plays\nUmbrella,2020-01-01,1\nUmbrella,2020-01-01,12a\n',
    );
    const output = join(dir, 'bad-totals.csv');
    const { code, stderr } = await playtally(['aggregate', bad, '-o', output]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'playtally: bad input: line 3: Number of Plays must be a non-negative integer, got "12a"\n',
    );
    expect(existsSync(output)).toBe(false);
    expect((await readdir(dir)).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('skips bad rows with --on-invalid skip, exits 0, and says how many', async () => {
    const { code, stdout, stderr } = await playtally(
      ['aggregate', '-', '--on-invalid', 'skip'],
      'Song,Date,Number of Plays\nA,2020-01-01,1\nA,2020-02-30,1\n',
    );
    expect(code).toBe(0);
    expect(stdout.toString()).toBe('Song,Date,Total Number of Plays for Date\nA,2020-01-01,1\n');
    expect(stderr).toContain('skipped 1 invalid row, for example');
    expect(stderr).toContain('line 3: Date must be a real calendar date, got "2020-02-30"');
  });

  it('exits 3 when the input file does not exist', async () => {
    const { code, stderr } = await playtally(['aggregate', join(dir, 'missing.csv')]);
    expect(code).toBe(3);
    expect(stderr).toBe(
      `playtally: cannot read ${join(dir, 'missing.csv')}: no such file or folder\n`,
    );
  });

  it('exits 130 on Ctrl-C, removing its spill files and partial output', async () => {
    const tempDir = await mkdtemp(join(dir, 'interrupted-'));
    const output = join(dir, 'interrupted.csv');
    const child = start([
      'aggregate',
      '-',
      '-o',
      output,
      '--memory-budget',
      '0',
      '--temp-dir',
      tempDir,
    ]);
    const finished = finish(child);
    child.stdin!.write(plays); // ...and never end standard input
    // Once a spill directory exists the engine is running: interrupt it.
    while ((await readdir(tempDir)).length === 0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const { code, stderr } = await finished;
    expect(code).toBe(130);
    expect(stderr).toBe('playtally: interrupted\n');
    expect(await readdir(tempDir)).toEqual([]);
    expect(existsSync(output)).toBe(false);
    expect((await readdir(dir)).filter((name) => name.includes('partial'))).toEqual([]);
  });
});

describe('playtally aggregate --threads', () => {
  it('splits a file across threads and writes what one thread writes, spills included', async () => {
    // Big enough for two ranges of the engine's smallest range size (8 MiB).
    const input = join(dir, 'big.csv');
    const generated = await playtally([
      'generate',
      '--rows',
      '700k',
      '--songs',
      '2000',
      '-o',
      input,
    ]);
    expect(generated.code).toBe(0);
    const one = await playtally(['aggregate', input, '--threads', '1']);
    expect(one.code).toBe(0);
    const tempDir = await mkdtemp(join(dir, 'threads-'));
    const args = [
      'aggregate',
      input,
      '--threads',
      '3',
      '--memory-budget',
      '0',
      '--temp-dir',
      tempDir,
    ];
    const many = await playtally(args);
    expect(many.code).toBe(0);
    expect(many.stdout.equals(one.stdout)).toBe(true);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('exits 2 on a thread count that is not a positive whole number', async () => {
    const { code, stderr } = await playtally(['aggregate', '-', '--threads', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--threads must be a whole number from 1 to 1024, got "0"');
  });
});
