import { describe, expect, it } from 'vitest';
import { createTransport } from './create-transport.js';
import { loadAdapter } from './import-adapter.js';
import { redactUrl } from './redact-url.js';

const notInstalled = (specifier: string) =>
  Promise.reject(
    Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/main.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );

describe('createTransport', () => {
  it('creates the in-process transport for memory://', async () => {
    const transport = await createTransport('memory://');
    expect(transport.name).toBe('memory');
    await transport.close();
  });

  it('rejects an unknown scheme, listing the supported ones and hiding the password', async () => {
    const failure = createTransport('nats://user:hunter2@nats:4222');
    await expect(failure).rejects.toMatchObject({ code: 'UNKNOWN_TRANSPORT' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain('nats://user:***@nats:4222');
    expect(message).not.toContain('hunter2');
    for (const scheme of [
      'memory://',
      'amqp://',
      'amqps://',
      'redis://',
      'rediss://',
      'kafka://',
    ]) {
      expect(message).toContain(scheme);
    }
  });

  it('names the package to install when an adapter is missing, without the password', async () => {
    const failure = loadAdapter(
      '@playtally/transport-absent',
      'amqp://app:s3cret@rabbit',
      notInstalled,
    );
    await expect(failure).rejects.toMatchObject({
      code: 'ADAPTER_NOT_INSTALLED',
      message:
        'TRANSPORT_URL amqp://app:***@rabbit needs @playtally/transport-absent: pnpm add @playtally/transport-absent',
    });
  });

  it('reports an adapter that is installed but broken as a load failure, not as missing', async () => {
    const broken = () =>
      Promise.reject(
        new Error("Cannot find package 'amqplib' imported from /app/node_modules/x.js"),
      );
    await expect(
      loadAdapter('@playtally/transport-absent', 'amqp://rabbit', broken),
    ).rejects.toMatchObject({
      code: 'TRANSPORT_ERROR',
    });
  });

  it('passes the URL to the adapter the application loads', async () => {
    const seen: unknown[] = [];
    const transport = await createTransport('amqps://app:s3cret@rabbit.internal:5671/prod', {
      importModule: async (specifier) => ({
        createAmqpTransport: (options: unknown) => {
          seen.push({ specifier, options });
          return { name: 'fake' };
        },
      }),
    });
    expect(transport.name).toBe('fake');
    expect(seen).toEqual([
      {
        specifier: '@playtally/transport-amqp',
        options: { url: 'amqps://app:s3cret@rabbit.internal:5671/prod' },
      },
    ]);
  });

  it('turns kafka:// into a broker list', async () => {
    let options: unknown;
    await createTransport('kafka://k1:9092,k2:9093', {
      importModule: async () => ({
        createKafkaTransport: (given: unknown) => {
          options = given;
          return { name: 'fake' };
        },
      }),
    });
    expect(options).toEqual({ brokers: ['k1:9092', 'k2:9093'] });
  });
});

describe('redactUrl', () => {
  it('masks the password and keeps everything else', () => {
    expect(redactUrl('amqp://guest:guest@127.0.0.1:5672/%2F')).toBe(
      'amqp://guest:***@127.0.0.1:5672/%2F',
    );
    expect(redactUrl('redis://:secret@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('kafka://a:9092,b:9092')).toBe('kafka://a:9092,b:9092');
  });
});
