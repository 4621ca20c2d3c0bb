import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvLines, footageBody } from './harness.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

describe('src/main.ts, run as a program', () => {
  let directory: string;
  let child: ChildProcess;
  let baseUrl: string;
  let stderr = '';

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'footage-main-'));
    child = spawn(process.execPath, [tsxCli, 'src/main.ts'], {
      cwd: exampleDir,
      env: { ...process.env, PORT: '0', FOOTAGE_OUTPUT: join(directory, 'footage.csv') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout)?.[1];
        if (url) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}: ${stderr}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
  });

  it('serves the footage API, writes the CSV and stops cleanly on SIGTERM', async () => {
    const response = await fetch(`${baseUrl}/v1/messages?type=footage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(footageBody([{ image_frame: 'f1', prob: 0.2, tags: ['dog'] }])),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const deadline = Date.now() + 10_000;
    let status = 'received';
    while (status !== 'consumed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = ((await (await fetch(`${baseUrl}/v1/messages/${id}`)).json()) as { status: string })
        .status;
    }
    expect(status).toBe('consumed');
    expect(await csvLines(join(directory, 'footage.csv'))).toEqual([
      'image_frame,prob,tags',
      'f1,0.2,dog;low_prob',
    ]);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a PORT that is not a port number', async () => {
    const bad = spawn(process.execPath, [tsxCli, 'src/main.ts'], {
      cwd: exampleDir,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    bad.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('footage: PORT:');
  });
});
