import { PlaytallyError, parseByteSize } from '@playtally/core';
import { redactUrl } from '@playtally/transport';
import { z } from 'zod';

/** How the process runs: API and worker together, or one of them. */
export type Mode = 'all' | 'api' | 'worker';

/** The validated configuration of the server. */
export interface ServerConfig {
  /** `memory://`, `amqp://…`, `redis://…` or `kafka://host:9092`. */
  readonly transportUrl: string;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string;
  /** Directory of uploads and results; shared by every API and worker process. */
  readonly storageDir: string;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly maxUploadBytes: number;
  readonly maxMessageBytes: number;
  readonly workerConcurrency: number;
  readonly memoryBudget: number;
  /** Spill directory of the engine; the OS temp directory when unset. */
  readonly tempDir: string | undefined;
  /** Prefix of topic names, to run several systems on one broker. */
  readonly topicPrefix: string | undefined;
  /** How long shutdown lets running jobs finish before handing them back. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Defaults of every setting, as the environment variables spell them. */
export const DEFAULTS = {
  TRANSPORT_URL: 'memory://',
  DATABASE_URL: 'sqlite:./data/playtally.db',
  STORAGE_DIR: './data/blobs',
  HOST: '0.0.0.0',
  PORT: '3000',
  MAX_UPLOAD_BYTES: '1GiB',
  MAX_MESSAGE_BYTES: '64KiB',
  WORKER_CONCURRENCY: '2',
  MEMORY_BUDGET: '256MiB',
  SHUTDOWN_TIMEOUT_MS: '30000',
  LOG_LEVEL: 'info',
} as const;

/** Empty strings count as unset (compose files pass `API_KEY: ""`). */
const setting = (fallback: string) =>
  z.preprocess((value) => (value === '' || value === undefined ? fallback : value), z.string());

const optionalSetting = () =>
  z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

const byteSize = (fallback: string, min: number) =>
  setting(fallback).transform((text, context) => {
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes < min) {
      context.addIssue({
        code: 'custom',
        message: `must be a size of at least ${min} bytes such as 1048576, 256MiB or 1GB, got "${text}"`,
      });
      return z.NEVER;
    }
    return bytes;
  });

const integer = (fallback: string, min: number, max: number) =>
  setting(fallback).transform((text, context) => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
      context.addIssue({
        code: 'custom',
        message: `must be a whole number from ${min} to ${max}, got "${text}"`,
      });
      return z.NEVER;
    }
    return value;
  });

const matching = (fallback: string, pattern: RegExp, expected: string) =>
  setting(fallback).superRefine((value, context) => {
    if (pattern.test(value)) return;
    context.addIssue({
      code: 'custom',
      message: `must be ${expected}, got "${redactUrl(value)}"`,
    });
  });

const EnvironmentSchema = z.object({
  TRANSPORT_URL: matching(
    DEFAULTS.TRANSPORT_URL,
    /^(memory|amqps?|rediss?|kafka):\/\//i,
    'a URL starting with memory://, amqp://, amqps://, redis://, rediss:// or kafka://',
  ),
  DATABASE_URL: matching(
    DEFAULTS.DATABASE_URL,
    /^(sqlite:.+|postgres(ql)?:\/\/.+)$/i,
    'sqlite:<file> or postgres://user@host:5432/database',
  ),
  STORAGE_DIR: setting(DEFAULTS.STORAGE_DIR),
  HOST: setting(DEFAULTS.HOST),
  PORT: integer(DEFAULTS.PORT, 0, 65535),
  API_KEY: optionalSetting(),
  MAX_UPLOAD_BYTES: byteSize(DEFAULTS.MAX_UPLOAD_BYTES, 1),
  MAX_MESSAGE_BYTES: byteSize(DEFAULTS.MAX_MESSAGE_BYTES, 2),
  WORKER_CONCURRENCY: integer(DEFAULTS.WORKER_CONCURRENCY, 1, 256),
  MEMORY_BUDGET: byteSize(DEFAULTS.MEMORY_BUDGET, 1024 * 1024),
  TEMP_DIR: optionalSetting(),
  TOPIC_PREFIX: optionalSetting().superRefine((prefix, context) => {
    if (prefix === undefined || /^[a-z0-9-]{1,40}$/i.test(prefix)) return;
    context.addIssue({
      code: 'custom',
      message: `must be 1-40 letters, digits or -, got "${prefix}"`,
    });
  }),
  SHUTDOWN_TIMEOUT_MS: integer(DEFAULTS.SHUTDOWN_TIMEOUT_MS, 0, 3_600_000),
  LOG_LEVEL: setting(DEFAULTS.LOG_LEVEL).pipe(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: (issue) =>
        `must be one of fatal, error, warn, info, debug, trace, silent, got "${String(issue.input)}"`,
    }),
  ),
});

/**
 * Reads the configuration from environment variables, applying the defaults. Every bad value
 * is reported at once, one line per variable, in a `CONFIG_INVALID` error.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new PlaytallyError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
      details: { variables: parsed.error.issues.map((issue) => issue.path.join('.')) },
    });
  }
  const e = parsed.data;
  return {
    transportUrl: e.TRANSPORT_URL,
    databaseUrl: e.DATABASE_URL,
    storageDir: e.STORAGE_DIR,
    host: e.HOST,
    port: e.PORT,
    apiKey: e.API_KEY,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    workerConcurrency: e.WORKER_CONCURRENCY,
    memoryBudget: e.MEMORY_BUDGET,
    tempDir: e.TEMP_DIR,
    topicPrefix: e.TOPIC_PREFIX,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}

/** Parses the mode argument (`all` when absent). */
export function parseMode(argument: string | undefined): Mode {
  const mode = argument ?? 'all';
  if (mode === 'all' || mode === 'api' || mode === 'worker') return mode;
  throw new PlaytallyError(
    'CONFIG_INVALID',
    `unknown mode "${mode}": use all (API and worker), api or worker`,
  );
}
