import { PlaytallyError, parseByteSize } from '@playtally/core';
import { redactUrl } from '@playtally/transport';
import { z } from 'zod';
import { parseDuration } from './durations.js';

/** How the process runs: API and worker together, or one of them. */
export type Mode = 'all' | 'api' | 'worker';

/**
 * Where uploads and results live: a directory (one machine, or one shared by every API and
 * worker process) or an S3-compatible bucket (machines share nothing but the bucket).
 */
export type StorageConfig =
  | { readonly kind: 'file'; readonly directory: string }
  | { readonly kind: 's3'; readonly url: string };

/** The validated configuration of the server. */
export interface ServerConfig {
  /** `memory://`, `amqp://…`, `redis://…` or `kafka://host:9092`. */
  readonly transportUrl: string;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string;
  /** `STORAGE_URL` (or its alias `STORAGE_DIR`): where uploads and results live. */
  readonly storage: StorageConfig;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly maxUploadBytes: number;
  /** Uploads larger than this are split into parts for several workers. */
  readonly splitBytes: number;
  readonly maxMessageBytes: number;
  readonly workerConcurrency: number;
  readonly memoryBudget: number;
  /** Spill directory of the engine; the OS temp directory when unset. */
  readonly tempDir: string | undefined;
  /** Prefix of topic names, to run several systems on one broker. */
  readonly topicPrefix: string | undefined;
  /** How long shutdown lets running jobs finish before handing them back. */
  readonly shutdownTimeoutMs: number;
  /** Results are removed this long after their job succeeded (the job shows `expired`). */
  readonly resultTtlMs: number;
  /** An upload sending nothing for this long is stopped (408). */
  readonly uploadIdleTimeoutMs: number;
  /** Uploads in progress at once per API process; past it, 503. */
  readonly maxConcurrentUploads: number;
  /** Events waiting in the outbox past which posting answers 503. */
  readonly outboxMaxBacklog: number;
  /** Posted messages waiting for their commit past which posting answers 503. */
  readonly messageMaxPending: number;
  /** Bytes a WebSocket client may leave unread before it is disconnected. */
  readonly eventsMaxBufferedBytes: number;
  /** How long a relay's claim on outbox entries lasts (a dead relay's entries wait this long). */
  readonly outboxLeaseMs: number;
  /** Jobs queued and messages received longer than this are published again. */
  readonly reconcileAfterMs: number;
  /** Time between reconciler passes. */
  readonly reconcileIntervalMs: number;
  /** Time between sweeps of leftovers. */
  readonly sweepIntervalMs: number;
  /** How long a worker's lease on a job lasts without renewal. */
  readonly jobLeaseMs: number;
  /** Time between a worker's heartbeats; three missed ones and the API shows it lost. */
  readonly workerHeartbeatMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Defaults of every setting, as the environment variables spell them. */
export const DEFAULTS = {
  TRANSPORT_URL: 'memory://',
  DATABASE_URL: 'sqlite:./data/playtally.db',
  STORAGE_URL: 'file:./data/blobs',
  HOST: '0.0.0.0',
  PORT: '3000',
  MAX_UPLOAD_BYTES: '1GiB',
  SPLIT_BYTES: '128MiB',
  MAX_MESSAGE_BYTES: '64KiB',
  WORKER_CONCURRENCY: '2',
  MEMORY_BUDGET: '256MiB',
  SHUTDOWN_TIMEOUT_MS: '30000',
  RESULT_TTL: '7d',
  UPLOAD_IDLE_TIMEOUT_MS: '30000',
  MAX_CONCURRENT_UPLOADS: '32',
  OUTBOX_MAX_BACKLOG: '10000',
  MESSAGE_MAX_PENDING: '1000',
  EVENTS_MAX_BUFFERED_BYTES: '8MiB',
  OUTBOX_LEASE_MS: '60000',
  RECONCILE_AFTER_MS: '300000',
  RECONCILE_INTERVAL_MS: '60000',
  SWEEP_INTERVAL_MS: '600000',
  JOB_LEASE_MS: '30000',
  WORKER_HEARTBEAT_MS: '5000',
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

const duration = (fallback: string, min: number) =>
  setting(fallback).transform((text, context) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < min) {
      context.addIssue({
        code: 'custom',
        message: `must be a duration of at least ${min} ms such as 30000, 30s, 12h or 7d, got "${text}"`,
      });
      return z.NEVER;
    }
    return ms;
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

/**
 * Reads `STORAGE_URL`: `file:<directory>` (`file:./data/blobs`, `file:///srv/blobs`) or
 * `s3://bucket/prefix?endpoint=…`. Only the form is checked here; the S3 store checks the rest
 * (and that the bucket exists) when the server starts.
 */
function parseStorageUrl(text: string, context: z.RefinementCtx): StorageConfig {
  if (/^file:/i.test(text)) {
    const directory = fileDirectory(text);
    if (directory !== undefined) return { kind: 'file', directory };
    context.addIssue({
      code: 'custom',
      message: `must name a local directory (file:./data/blobs or file:///srv/blobs), got "${text}"`,
    });
    return z.NEVER;
  }
  if (/^s3:/i.test(text)) {
    const authority = /^s3:\/\/([^/?#]*)/i.exec(text)?.[1] ?? '';
    if (authority.replace(/^.*@/, '') !== '') return { kind: 's3', url: text };
    context.addIssue({
      code: 'custom',
      message: `names no bucket: use s3://bucket/prefix?endpoint=…, got "${redactUrl(text)}"`,
    });
    return z.NEVER;
  }
  context.addIssue({
    code: 'custom',
    message: `must be file:<directory> or s3://bucket/prefix?endpoint=…, got "${redactUrl(text)}"`,
  });
  return z.NEVER;
}

/**
 * The directory of a `file:` URL: `file:./data/blobs` → `./data/blobs`, `file:///srv/blobs` →
 * `/srv/blobs`; `undefined` for an empty one or `file://host/…` (another machine's).
 */
function fileDirectory(text: string): string | undefined {
  const rest = text.replace(/^file:/i, '');
  const directory = rest.startsWith('//') ? rest.slice(2) : rest;
  if (directory === '' || (rest.startsWith('//') && !directory.startsWith('/'))) return undefined;
  return directory;
}

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
  STORAGE_URL: optionalSetting().transform((text, context) =>
    text === undefined ? undefined : parseStorageUrl(text.trim(), context),
  ),
  STORAGE_DIR: optionalSetting(),
  HOST: setting(DEFAULTS.HOST),
  PORT: integer(DEFAULTS.PORT, 0, 65535),
  API_KEY: optionalSetting(),
  MAX_UPLOAD_BYTES: byteSize(DEFAULTS.MAX_UPLOAD_BYTES, 1),
  SPLIT_BYTES: byteSize(DEFAULTS.SPLIT_BYTES, 1),
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
  RESULT_TTL: duration(DEFAULTS.RESULT_TTL, 1000),
  UPLOAD_IDLE_TIMEOUT_MS: integer(DEFAULTS.UPLOAD_IDLE_TIMEOUT_MS, 100, 3_600_000),
  MAX_CONCURRENT_UPLOADS: integer(DEFAULTS.MAX_CONCURRENT_UPLOADS, 1, 100_000),
  OUTBOX_MAX_BACKLOG: integer(DEFAULTS.OUTBOX_MAX_BACKLOG, 1, 100_000_000),
  MESSAGE_MAX_PENDING: integer(DEFAULTS.MESSAGE_MAX_PENDING, 1, 1_000_000),
  EVENTS_MAX_BUFFERED_BYTES: byteSize(DEFAULTS.EVENTS_MAX_BUFFERED_BYTES, 1024),
  OUTBOX_LEASE_MS: integer(DEFAULTS.OUTBOX_LEASE_MS, 1000, 3_600_000),
  RECONCILE_AFTER_MS: integer(DEFAULTS.RECONCILE_AFTER_MS, 0, 604_800_000),
  RECONCILE_INTERVAL_MS: integer(DEFAULTS.RECONCILE_INTERVAL_MS, 100, 86_400_000),
  SWEEP_INTERVAL_MS: integer(DEFAULTS.SWEEP_INTERVAL_MS, 100, 86_400_000),
  JOB_LEASE_MS: integer(DEFAULTS.JOB_LEASE_MS, 300, 3_600_000),
  WORKER_HEARTBEAT_MS: integer(DEFAULTS.WORKER_HEARTBEAT_MS, 100, 600_000),
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
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        variable: issue.path.join('.'),
        message: issue.message,
      }));
  if (env.STORAGE_URL && env.STORAGE_DIR) {
    problems.push({
      variable: 'STORAGE_DIR',
      message: 'is an alias of STORAGE_URL=file:<directory>; set one of them, not both',
    });
  }
  if (!parsed.success || problems.length > 0) {
    const lines = problems.map(({ variable, message }) => `  ${variable}: ${message}`);
    throw new PlaytallyError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, {
      details: { variables: problems.map(({ variable }) => variable) },
    });
  }
  const e = parsed.data;
  return {
    transportUrl: e.TRANSPORT_URL,
    databaseUrl: e.DATABASE_URL,
    storage:
      e.STORAGE_DIR !== undefined
        ? { kind: 'file', directory: e.STORAGE_DIR }
        : (e.STORAGE_URL ?? {
            kind: 'file',
            directory: fileDirectory(DEFAULTS.STORAGE_URL) as string,
          }),
    host: e.HOST,
    port: e.PORT,
    apiKey: e.API_KEY,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    splitBytes: e.SPLIT_BYTES,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    workerConcurrency: e.WORKER_CONCURRENCY,
    memoryBudget: e.MEMORY_BUDGET,
    tempDir: e.TEMP_DIR,
    topicPrefix: e.TOPIC_PREFIX,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    resultTtlMs: e.RESULT_TTL,
    uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
    maxConcurrentUploads: e.MAX_CONCURRENT_UPLOADS,
    outboxMaxBacklog: e.OUTBOX_MAX_BACKLOG,
    messageMaxPending: e.MESSAGE_MAX_PENDING,
    eventsMaxBufferedBytes: e.EVENTS_MAX_BUFFERED_BYTES,
    outboxLeaseMs: e.OUTBOX_LEASE_MS,
    reconcileAfterMs: e.RECONCILE_AFTER_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    jobLeaseMs: e.JOB_LEASE_MS,
    workerHeartbeatMs: e.WORKER_HEARTBEAT_MS,
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
