import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The server's entry point, run from its TypeScript sources. */
export const MAIN_SOURCE = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** Maps every `@playtally/*` import to its sources, so no test runs against a stale build. */
const SOURCES_TSCONFIG = fileURLToPath(new URL('../../../tsconfig.sources.json', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

/** A server process started by {@link startServerProcess}. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** The API's URL, for modes that serve it. */
  readonly url: string | undefined;
  /** Every log line so far (pino JSON, parsed when possible). */
  readonly logs: Record<string, unknown>[];
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Environment on top of a clean one (PATH and HOME kept). */
  env: Record<string, string>;
  cwd: string;
  /** How long to wait for `playtally ready`. @default 60000 */
  timeoutMs?: number;
}

/**
 * Starts `main.ts <mode>` as a child process (through tsx, from sources) and resolves once it
 * logs `playtally ready`. Rejects with its output when it exits first.
 */
export function startServerProcess(
  mode: 'all' | 'api' | 'worker',
  options: ServerProcessOptions,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN_SOURCE, mode], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TSX_TSCONFIG_PATH: SOURCES_TSCONFIG,
      PORT: '0',
      HOST: '127.0.0.1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let buffered = '';
  const onLine = (line: string) => {
    if (!line.trim()) return;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  child.stderr?.on('data', (chunk: Buffer) => onLine(`[stderr] ${chunk.toString('utf8')}`));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${mode} did not get ready:\n${dump(logs)}`));
    }, options.timeoutMs ?? 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} exited with ${code} before it was ready:\n${dump(logs)}`));
    });
    const check = setInterval(() => {
      const ready = logs.find((entry) => entry.msg === 'playtally ready');
      if (!ready) return;
      clearInterval(check);
      clearTimeout(timer);
      resolve({
        child,
        url: typeof ready.url === 'string' ? ready.url : undefined,
        logs,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill(signal);
          return exited;
        },
      });
    }, 20);
    void exited.then(() => clearInterval(check));
  });
}

/** The log lines, one per line, for failure messages. */
export function dump(logs: readonly Record<string, unknown>[]): string {
  return logs.map((entry) => JSON.stringify(entry)).join('\n');
}
