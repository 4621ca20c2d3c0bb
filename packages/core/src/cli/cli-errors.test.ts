import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);
/** tsx resolved from here, so the child can run in any folder. */
const TSX = import.meta.resolve('tsx');

/** Runs `playtally` from its sources in `cwd`; resolves with the exit code and stderr. */
function playtally(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX, main, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-cli-errors-'));
  await writeFile(join(dir, 'plays.csv'), 'Song,Date,Number of Plays\nA,2020-01-01,3\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('playtally says in plain sentences', () => {
  it('that the input file does not exist', async () => {
    const { code, stderr } = await playtally(['aggregate', 'missing.csv'], dir);
    expect(code).toBe(3);
    expect(stderr).toBe('playtally: cannot read missing.csv: no such file or folder\n');
  });

  it('that the input is a folder', async () => {
    const { code, stderr } = await playtally(['aggregate', '.'], dir);
    expect(code).toBe(3);
    expect(stderr).toBe('playtally: cannot read .: it is a folder, not a file\n');
  });

  it('that the output folder does not exist, naming the output and not its temporary file', async () => {
    const { code, stderr } = await playtally(
      ['aggregate', 'plays.csv', '-o', 'out/totals.csv'],
      dir,
    );
    expect(code).toBe(3);
    expect(stderr).toBe('playtally: cannot write out/totals.csv: the folder out does not exist\n');
    expect(stderr).not.toContain('partial');
  });

  it('that an option is unknown, with balanced quotes and a hint', async () => {
    const { code, stderr } = await playtally(['aggregate', 'plays.csv', '--frobnicate'], dir);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'playtally: unknown option --frobnicate\nplaytally: see: playtally aggregate --help\n',
    );
  });

  it('that an option needs a value', async () => {
    const { code, stderr } = await playtally(['generate', '-o'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('playtally: --output needs a value\n');
  });

  it('that a command takes no such argument', async () => {
    const { code, stderr } = await playtally(['generate', 'extra'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('playtally: unexpected argument "extra"\n');
  });
});

describe('pnpm playtally in this repository', () => {
  it('resolves paths against the folder the command was typed in', async () => {
    const sub = join(dir, 'sub');
    await mkdir(sub, { recursive: true });
    const { stdout } = await run(
      'pnpm',
      ['--dir', repoRoot, '--silent', 'playtally', 'aggregate', '../plays.csv', '-o', 'totals.csv'],
      {
        cwd: sub,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      },
    );
    expect(stdout).toBe('');
    expect(await readFile(join(sub, 'totals.csv'), 'utf8')).toBe(
      'Song,Date,Total Number of Plays for Date\nA,2020-01-01,3\n',
    );
  });
});
