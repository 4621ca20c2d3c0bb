import { silentLogger } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AMQP_URL } from '../test/rabbitmq.js';
import { createAmqpConnection, isConnectionLoss } from './amqp-connection.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

const fastReconnect = { initialMs: 1, maxMs: 2, factor: 2 };
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('amqp connection manager', () => {
  it('keeps retrying through a long outage without piling up abort listeners', async () => {
    process.on('warning', onWarning);
    const connection = createAmqpConnection('amqp://guest:guest@127.0.0.1:1', {
      reconnect: fastReconnect,
      logger: silentLogger,
    });
    // Well over the ten listeners after which Node warns, one per failed attempt before the fix.
    const failure = await connection.acquire(Date.now() + 1500).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'TRANSPORT_ERROR' });
    await connection.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('classifies connection losses by error type and code, not by message', () => {
    const illegal = Object.assign(new Error('Channel closed'), { name: 'IllegalOperationError' });
    const reset = Object.assign(new Error('read ECONNRESET'), {
      code: 'ECONNRESET',
      syscall: 'read',
    });
    const forced = Object.assign(new Error('Connection closed: 320'), { code: 320 });
    const notFound = Object.assign(new Error('Channel closed by server: 404'), { code: 404 });
    expect([illegal, reset, forced].map(isConnectionLoss)).toEqual([true, true, true]);
    expect(isConnectionLoss(notFound)).toBe(false);
    // A message alone says nothing: only the type and the code count.
    expect(isConnectionLoss(new Error('socket connection closed ECONNRESET'))).toBe(false);
  });

  it.skipIf(!available)('hands out a new link once the connection was lost', async () => {
    const connection = createAmqpConnection(AMQP_URL, {
      reconnect: fastReconnect,
      logger: silentLogger,
    });
    try {
      const first = await connection.acquire(Date.now() + 10_000);
      await first.model.close();
      expect(first.open).toBe(false);
      const second = await connection.acquire(Date.now() + 10_000);
      expect(second).not.toBe(first);
      expect(second.open).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
