import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

const CLI = fileURLToPath(new URL('../../../packages/core/src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `playtally` from its sources in `cwd`. `webSocket` decides whether Node has a global
 * WebSocket (Node 20 has one only behind a flag; Node 22 has one unless it is turned off).
 */
function playtally(args: string[], cwd: string, webSocket: boolean): Promise<CliRun> {
  const flag = webSocket ? '--experimental-websocket' : '--no-experimental-websocket';
  const child = spawn(process.execPath, [flag, '--import', TSX, CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

let directory: string;
let server: ServerProcess;
let url: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'playtally-cli-client-'));
  server = await startServerProcess('all', { env: {}, cwd: directory });
  url = server.url!.replace('0.0.0.0', '127.0.0.1');
  await writeFile(join(directory, 'plays.csv'), CANONICAL_INPUT);
  await writeFile(
    join(directory, 'bad.csv'),
    'Song,Date,Number of Plays\nUmbrella,2020-01-01,1\nUmbrella,2020-01-01,12a\n',
  );
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('playtally submit', () => {
  it('uploads, follows the job live over the WebSocket, and writes the totals', async () => {
    const run = await playtally(
      ['submit', 'plays.csv', '--server', url, '-o', 'live.csv'],
      directory,
      true,
    );
    expect(run.stderr).toContain('following the job live (WebSocket)');
    expect(run.code).toBe(0);
    expect(await readFile(join(directory, 'live.csv'), 'utf8')).toBe(CANONICAL_OUTPUT);
    expect(run.stderr).toMatch(/^uploaded plays\.csv \(\d+ B\) as job \S+$/m);
    expect(run.stderr).toMatch(/succeeded: 7 rows → 4 groups in [\d.]+ s, wrote live\.csv$/m);
  });

  it('polls the job where Node has no WebSocket, and writes <name>-totals.csv by default', async () => {
    const run = await playtally(['submit', 'plays.csv', '--server', url], directory, false);
    expect(run.stderr).toContain('following the job (polling)');
    expect(run.code).toBe(0);
    expect(await readFile(join(directory, 'plays-totals.csv'), 'utf8')).toBe(CANONICAL_OUTPUT);
  });

  it('writes standard output with -o -', async () => {
    const run = await playtally(
      ['submit', 'plays.csv', '--server', url, '-o', '-'],
      directory,
      false,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(CANONICAL_OUTPUT);
  });

  it("exits 1 on a job that fails on bad input, printing the server's error with its line", async () => {
    for (const webSocket of [true, false]) {
      const run = await playtally(
        ['submit', 'bad.csv', '--server', url, '-o', 'never.csv'],
        directory,
        webSocket,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /playtally: job \S+ failed: line 3: Number of Plays must be a non-negative integer, got "12a"\n/,
      );
      await expect(readFile(join(directory, 'never.csv'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    }
  });

  it('says so, and exits 3, when no server listens there', async () => {
    const port = await freePort();
    const run = await playtally(
      ['submit', 'plays.csv', '--server', `http://127.0.0.1:${port}`],
      directory,
      false,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `playtally: cannot reach the server at http://127.0.0.1:${port}: connection refused (is it running? \`pnpm start\` starts one)\n`,
    );
  });
});

describe('playtally jobs', () => {
  it('lists the recent jobs, newest first, with the error of a failed one', async () => {
    const run = await playtally(['jobs', '--server', url, '--limit', '3'], directory, false);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+CREATED\s+SIZE\s+ROWS\s+FILE$/);
    // The two failed bad.csv jobs, newest first, each followed by its error line.
    expect(lines[1]).toMatch(/^\S+\s+failed\s+.*bad\.csv$/);
    expect(lines[2]).toBe('    line 3: Number of Plays must be a non-negative integer, got "12a"');
    expect(lines.filter((line) => /^\S+\s+(succeeded|failed)\s/.test(line))).toHaveLength(3);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
