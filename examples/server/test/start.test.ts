import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const built = ['core', 'http', 'store-sql'].every((name) =>
  existsSync(join(repository, 'packages', name, 'dist', 'index.js')),
);

/**
 * What `pnpm start` at the repository root runs once the packages are built (`pnpm build`,
 * done by `pnpm test` before the tests): the server package's `start` script, which builds the
 * server and runs `node dist/main.js all` with the embedded defaults.
 */
describe('pnpm start (API and worker in one process, embedded defaults)', () => {
  let directory: string;
  let output = '';
  let child: ReturnType<typeof spawn>;
  let url: string;

  beforeAll(async () => {
    if (!built)
      throw new Error('the packages are not built: run `pnpm build` first (as `pnpm test` does)');
    directory = await mkdtemp(join(tmpdir(), 'playtally-start-'));
    // A fresh environment: no INIT_CWD inherited, so pnpm records this directory as the one
    // the command was started from, as when a person types `pnpm start` here.
    child = spawn('pnpm', ['--dir', repository, '--filter', '@playtally/example-server', 'start'], {
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

  it('shuts down gracefully on SIGTERM, even with a browser watching its events', async () => {
    const watcher = await connectEvents(url);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The server process itself (pnpm and its shell are only its parents), as a process
    // manager would stop it.
    const pid = Number(/"pid":(\d+)[^\n]*"msg":"playtally ready"/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"playtally stopped"');
    watcher.close();
  });
});
