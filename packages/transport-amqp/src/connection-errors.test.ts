import { createCloudEvent } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { describe, expect, it } from 'vitest';
import { createAmqpTransport } from './index.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

const event = createCloudEvent({ type: 't', source: '/s', data: 1 });

describe.skipIf(!available)('amqp connection failures, in one sentence', () => {
  it('says a wrong password is refused, at once rather than after the publish timeout', async () => {
    const transport = createAmqpTransport({
      url: 'amqp://guest:wrong-password@127.0.0.1:5672',
      // Far longer than the test's own timeout: only an immediate refusal can pass.
      publishTimeoutMs: 600_000,
    });
    try {
      const failure = await transport.publish('nowhere', event).catch((e: Error) => e);
      expect(failure).toMatchObject({
        code: 'TRANSPORT_ERROR',
        message:
          'amqp: RabbitMQ at amqp://guest:***@127.0.0.1:5672 refused the login: authentication refused (check the user name and password in the URL)',
      });
    } finally {
      await transport.close();
    }
  }, 30_000);

  it('says an unreachable broker is unreachable, and why', async () => {
    const transport = createAmqpTransport({
      url: 'amqp://guest:guest@127.0.0.1:1',
      publishTimeoutMs: 500,
      reconnect: { initialMs: 50, maxMs: 100 },
    });
    try {
      const failure = await transport.publish('nowhere', event).catch((e: Error) => e);
      expect(failure).toMatchObject({
        code: 'TRANSPORT_ERROR',
        message:
          'amqp: RabbitMQ at amqp://guest:***@127.0.0.1:1 is unreachable: connection refused (nothing listens there: is it running?)',
      });
    } finally {
      await transport.close();
    }
  });
});
