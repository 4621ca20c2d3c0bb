import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical.js';
import { connectEvents } from './live-events.js';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * What a person runs: `pnpm start` at the repository root (here from another directory, with
 * `--dir`), which builds what is missing or stale and runs the server with the embedded
 * defaults in the same process. The packages are built already (`pnpm test` builds them first).
 */
describe('pnpm start (API and worker in one process, embedded defaults)', () => {
  let directory: string;
  let output = '';
  let child: ReturnType<typeof spawn>;
  let url: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-start-'));
    // A fresh environment: no INIT_CWD inherited, so pnpm records this directory as the one
    // the command was started from, as when a person types `pnpm start` here.
    child = spawn('pnpm', ['--dir', repository, 'start'], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"playtally ready"/.exec(output);
      if (match?.[1]) {
        url = match[1].replace('0.0.0.0', '127.0.0.1');
        break;
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the server did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('aggregates a CSV uploaded with curl, served for download with curl', async () => {
    await writeFile(join(directory, 'plays.csv'), CANONICAL_INPUT);
    const { stdout } = await run(
      'curl',
      ['-sS', '--fail-with-body', '-F', 'file=@plays.csv;type=text/csv', `${url}/v1/jobs`],
      { cwd: directory },
    );
    const job = JSON.parse(stdout) as { id: string; status: string };
    expect(job.status).toBe('queued');

    const deadline = Date.now() + 30_000;
    let status = job.status;
    while (status !== 'succeeded' && Date.now() < deadline) {
      const answer = await run('curl', ['-sS', `${url}/v1/jobs/${job.id}`]);
      status = (JSON.parse(answer.stdout) as { status: string }).status;
      expect(['queued', 'processing', 'succeeded']).toContain(status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { stdout: headers } = await run(
      'curl',
      ['-sS', '--fail', '-D', '-', '-o', 'totals.csv', `${url}/v1/jobs/${job.id}/result`],
      { cwd: directory },
    );
    expect(headers).toMatch(/content-disposition: attachment; filename="plays-totals.csv"/i);
    expect(await readFile(join(directory, 'totals.csv'), 'utf8')).toBe(CANONICAL_OUTPUT);
  });

  it('keeps its data under ./data of the directory it was started from', async () => {
    expect((await stat(join(directory, 'data', 'playtally.db'))).isFile()).toBe(true);
    expect((await stat(join(directory, 'data', 'blobs', 'results'))).isDirectory()).toBe(true);
  });

  it('says what it built, or that everything was up to date', () => {
    expect(output).toMatch(/^start: (built @playtally\/|\d+ packages up to date)/m);
    expect(output).toContain('start: starting the server (all)');
  });

  it('logs each field once per line', () => {
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const keys = [...line.matchAll(/[{,]"([^"]+)":/g)].map((match) => match[1]);
      expect(new Set(keys).size, line).toBe(keys.length);
    }
  });

  it('a second start finds everything built and serves at once', async () => {
    const second = spawn('pnpm', ['--dir', repository, 'start'], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    second.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    second.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => second.once('exit', resolve));
    while (!text.includes('"msg":"playtally ready"') && second.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(text).toMatch(/start: \d+ packages up to date, nothing to build/);
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('stops quietly with exit code 0 on Ctrl-C, even with a browser watching its events', async () => {
    const watcher = await connectEvents(url);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const before = output.length;
    // Ctrl-C in a terminal signals the whole foreground process group: pnpm and the server.
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    const after = output.slice(before);
    expect(after).toContain('"msg":"playtally stopped"');
    expect(after).not.toMatch(/ELIFECYCLE|ERR_PNPM|second signal|Command failed/);
    watcher.close();
  });
});
