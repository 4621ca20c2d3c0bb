import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createCloudEvent, type Transport } from '@playtally/transport';

const scriptsDir = fileURLToPath(new URL('../../../scripts/inspect/', import.meta.url));

/** What running a script produced. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/inspect/<script>` with `args` (and extra environment). */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [`${scriptsDir}${script}`, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as NodeJS.ErrnoException).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A run that must have succeeded; its output otherwise explains why it did not. */
export async function runScriptOk(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  const run = await runScript(script, args, env);
  if (run.code !== 0) {
    throw new Error(`${script} ${args.join(' ')} exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  }
  return run.stdout;
}

/** A name part unique to this test run, e.g. `inspect-3f9a1c`. */
export function uniqueName(): string {
  return `inspect-${randomBytes(4).toString('hex')}`;
}

/** Publishes `count` small events to `topic` through the transport. */
export async function publishSome(transport: Transport, topic: string, count: number) {
  for (let i = 0; i < count; i += 1) {
    await transport.publish(
      topic,
      createCloudEvent({ type: 'inspect.test', source: '/inspect-test', data: { i } }),
      { key: `k${i}` },
    );
  }
}

/** `text` with regular-expression characters escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
