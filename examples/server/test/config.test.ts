import { describe, expect, it } from 'vitest';
import { loadConfig, parseMode } from '../src/config.js';

describe('loadConfig', () => {
  it('applies the embedded defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      transportUrl: 'memory://',
      databaseUrl: 'sqlite:./data/playtally.db',
      storageDir: './data/blobs',
      host: '0.0.0.0',
      port: 3000,
      apiKey: undefined,
      maxUploadBytes: 1024 ** 3,
      maxMessageBytes: 64 * 1024,
      workerConcurrency: 2,
      memoryBudget: 256 * 1024 ** 2,
      tempDir: undefined,
      topicPrefix: undefined,
      shutdownTimeoutMs: 30_000,
      logLevel: 'info',
    });
  });

  it('reads every variable, and treats empty values as unset', () => {
    const config = loadConfig({
      TRANSPORT_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      STORAGE_DIR: '/srv/blobs',
      PORT: '8080',
      API_KEY: '',
      MAX_UPLOAD_BYTES: '10MB',
      WORKER_CONCURRENCY: '8',
      MEMORY_BUDGET: '1GiB',
      LOG_LEVEL: 'debug',
      TOPIC_PREFIX: 'staging',
    });
    expect(config).toMatchObject({
      transportUrl: 'amqp://guest:guest@127.0.0.1:5672',
      port: 8080,
      apiKey: undefined,
      maxUploadBytes: 10_000_000,
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
