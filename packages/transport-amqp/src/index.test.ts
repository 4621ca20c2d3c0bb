import { createCloudEvent, createTransport } from '@playtally/transport';
import { describeTransportContract, probeTcp, requireService } from '@playtally/transport/testing';
import { describe, expect, it } from 'vitest';
import { AMQP_URL, boundQueues, deleteTopics, publishRaw } from '../test/rabbitmq.js';
import { createAmqpTransport } from './index.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

describe.skipIf(!available)('amqp transport', () => {
  describeTransportContract('amqp', {
    createTransport: () => createAmqpTransport({ url: AMQP_URL }),
    capabilities: { orderedByKey: true, survivesBrokerRestart: true, distributed: true },
    publishRaw,
    inspect: boundQueues,
    cleanup: deleteTopics,
  });
});

describe.skipIf(!available)('amqp transport, beyond the contract', () => {
  it('is what createTransport builds for an amqp:// URL', async () => {
    const transport = await createTransport(AMQP_URL, {
      importModule: (specifier) => import(specifier),
    });
    try {
      expect(transport.name).toBe('amqp');
      await expect(transport.ping()).resolves.toBeUndefined();
    } finally {
      await transport.close();
    }
  });

  it('fails a publish with TRANSPORT_ERROR, without the password, when no broker answers', async () => {
    const transport = createAmqpTransport({
      url: 'amqp://guest:hunter2@127.0.0.1:1',
      publishTimeoutMs: 500,
      reconnect: { initialMs: 50, maxMs: 100 },
    });
    try {
      const failure = await transport
        .publish('nowhere', createCloudEvent({ type: 't', source: '/s', data: 1 }))
        .catch((e: Error) => e);
      expect(failure).toMatchObject({ code: 'TRANSPORT_ERROR' });
      expect(String((failure as Error).message)).not.toContain('hunter2');
    } finally {
      await transport.close();
    }
  });
});
