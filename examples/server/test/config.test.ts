import { describe, expect, it } from 'vitest';
import { loadConfig, parseMode } from '../src/config.js';

describe('loadConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      transportUrl: 'memory://',
      databaseUrl: 'sqlite:./data/playtally.db',
      storage: { kind: 'file', directory: './data/blobs' },
      host: '0.0.0.0',
      port: 3000,
      apiKey: undefined,
      maxUploadBytes: 1024 ** 3,
      splitBytes: 128 * 1024 ** 2,
      maxMessageBytes: 64 * 1024,
      workerConcurrency: 2,
      memoryBudget: 256 * 1024 ** 2,
      tempDir: undefined,
      topicPrefix: undefined,
      shutdownTimeoutMs: 30_000,
      resultTtlMs: 7 * 24 * 3_600_000,
      uploadIdleTimeoutMs: 30_000,
      maxConcurrentUploads: 32,
      outboxMaxBacklog: 10_000,
      messageMaxPending: 1000,
      eventsMaxBufferedBytes: 8 * 1024 ** 2,
      outboxLeaseMs: 60_000,
      reconcileAfterMs: 300_000,
      reconcileIntervalMs: 60_000,
      sweepIntervalMs: 600_000,
      jobLeaseMs: 30_000,
      workerHeartbeatMs: 5000,
      logLevel: 'info',
    });
  });

  it('reads durations with units, and refuses what is not one', () => {
    expect(loadConfig({ RESULT_TTL: '12h', UPLOAD_IDLE_TIMEOUT_MS: '5000' })).toMatchObject({
      resultTtlMs: 12 * 3_600_000,
      uploadIdleTimeoutMs: 5000,
    });
    expect(() => loadConfig({ RESULT_TTL: 'a week' })).toThrow(
      /RESULT_TTL: must be a duration of at least 1000 ms such as 30000, 30s, 12h or 7d, got "a week"/,
    );
  });

  it('reads every variable, and treats empty values as unset', () => {
    const config = loadConfig({
      TRANSPORT_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      STORAGE_DIR: '/srv/blobs',
      PORT: '8080',
      API_KEY: '',
      MAX_UPLOAD_BYTES: '10MB',
      SPLIT_BYTES: '4KiB',
      WORKER_CONCURRENCY: '8',
      MEMORY_BUDGET: '1GiB',
      LOG_LEVEL: 'debug',
      TOPIC_PREFIX: 'staging',
      MESSAGE_MAX_PENDING: '50',
      EVENTS_MAX_BUFFERED_BYTES: '1MiB',
    });
    expect(config).toMatchObject({
      messageMaxPending: 50,
      eventsMaxBufferedBytes: 1024 ** 2,
      transportUrl: 'amqp://guest:guest@127.0.0.1:5672',
      port: 8080,
      apiKey: undefined,
      maxUploadBytes: 10_000_000,
      splitBytes: 4096,
      workerConcurrency: 8,
      memoryBudget: 1024 ** 3,
      logLevel: 'debug',
      topicPrefix: 'staging',
    });
  });

  it('names every bad value at once, one line each, without leaking passwords', () => {
    let message = '';
    try {
      loadConfig({
        TRANSPORT_URL: 'nats://user:secret@host',
        PORT: 'eighty',
        WORKER_CONCURRENCY: '0',
        MEMORY_BUDGET: 'lots',
        LOG_LEVEL: 'loud',
      });
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'invalid configuration:',
      expect.stringMatching(
        /^ {2}TRANSPORT_URL: must be a URL starting with memory:\/\/.*got "nats:\/\/user:\*\*\*@host"$/,
      ),
      '  PORT: must be a whole number from 0 to 65535, got "eighty"',
      '  WORKER_CONCURRENCY: must be a whole number from 1 to 256, got "0"',
      expect.stringMatching(/^ {2}MEMORY_BUDGET: must be a size .* got "lots"$/),
      expect.stringMatching(/^ {2}LOG_LEVEL: must be one of .* got "loud"$/),
    ]);
    expect(message).not.toContain('secret');
  });
});

describe('STORAGE_URL', () => {
  it('takes a directory or a bucket, and STORAGE_DIR as the alias of file:', () => {
    const storage = (env: Record<string, string>) => loadConfig(env).storage;
    expect(storage({ STORAGE_URL: 'file:./blobs' })).toEqual({
      kind: 'file',
      directory: './blobs',
    });
    expect(storage({ STORAGE_URL: 'file:///srv/blobs' })).toEqual({
      kind: 'file',
      directory: '/srv/blobs',
    });
    expect(storage({ STORAGE_DIR: '/srv/blobs' })).toEqual({
      kind: 'file',
      directory: '/srv/blobs',
    });
    expect(storage({ STORAGE_URL: '', STORAGE_DIR: '' })).toEqual({
      kind: 'file',
      directory: './data/blobs',
    });
    const s3 = 's3://plays/blobs?endpoint=http://127.0.0.1:9000&forcePathStyle=true';
    expect(storage({ STORAGE_URL: s3 })).toEqual({ kind: 's3', url: s3 });
    expect(storage({ STORAGE_URL: 's3://plays' })).toEqual({ kind: 's3', url: 's3://plays' });
  });

  it('says what is wrong: an unknown scheme, no bucket, no directory, or both variables', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
        return (error as Error).message.split('\n').slice(1);
      }
      throw new Error('no error');
    };
    expect(problem({ STORAGE_URL: 'gs://user:secret@bucket/x' })).toEqual([
      '  STORAGE_URL: must be file:<directory> or s3://bucket/prefix?endpoint=…, got "gs://user:***@bucket/x"',
    ]);
    expect(problem({ STORAGE_URL: 's3:///blobs?endpoint=http://127.0.0.1:9000' })).toEqual([
      '  STORAGE_URL: names no bucket: use s3://bucket/prefix?endpoint=…, got "s3:///blobs?endpoint=http://127.0.0.1:9000"',
    ]);
    expect(problem({ STORAGE_URL: 'file:' })).toEqual([
      '  STORAGE_URL: must name a local directory (file:./data/blobs or file:///srv/blobs), got "file:"',
    ]);
    expect(problem({ STORAGE_URL: 'file://nas/blobs' })).toHaveLength(1);
    expect(problem({ STORAGE_URL: 's3://plays', STORAGE_DIR: '/srv/blobs', PORT: 'x' })).toEqual([
      '  PORT: must be a whole number from 0 to 65535, got "x"',
      '  STORAGE_DIR: is an alias of STORAGE_URL=file:<directory>; set one of them, not both',
    ]);
  });
});

describe('parseMode', () => {
  it('defaults to all and accepts api and worker', () => {
    expect(parseMode(undefined)).toBe('all');
    expect(parseMode('api')).toBe('api');
    expect(parseMode('worker')).toBe('worker');
    expect(() => parseMode('both')).toThrow('unknown mode "both"');
  });
});

describe('sizes in settings', () => {
  it('follow the same convention as the CLI: MB and a bare m are 10^6 bytes, MiB is 2^20', () => {
    const sizes = (value: string) =>
      loadConfig({ MAX_UPLOAD_BYTES: value, MEMORY_BUDGET: value }).maxUploadBytes;
    expect(sizes('256m')).toBe(256_000_000);
    expect(sizes('256MB')).toBe(256_000_000);
    expect(sizes('256MiB')).toBe(256 * 1024 ** 2);
    expect(sizes('1048576')).toBe(1_048_576);
  });
});
