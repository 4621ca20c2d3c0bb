import { randomBytes } from 'node:crypto';
import { isPlaytallyError } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AMQP_URL, deleteTopics } from '../test/rabbitmq.js';
import { createAmqpTransport } from './index.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

const topics: string[] = [];
afterEach(async () => {
  await deleteTopics(topics.splice(0));
});

describe.skipIf(!available)('amqp transport lifecycle', () => {
  it('closes a subscription that was still opening when the transport closed', async () => {
    const topic = `amqp.opening.${randomBytes(4).toString('hex')}`;
    topics.push(topic);
    const observer = createAmqpTransport({ url: AMQP_URL });
    try {
      await observer.ensure(topic, ['late']);
      const transport = createAmqpTransport({ url: AMQP_URL });
      const opening = transport
        .subscribe(topic, async () => {}, { group: 'late' })
        .catch((e: unknown) => e);
      await transport.close();
      const error = await opening;
      expect(isPlaytallyError(error, 'TRANSPORT_CLOSED')).toBe(true);
      // Read from the broker: no consumer is left on the group's queue.
      expect(await observer.inspect(topic, 'late')).toEqual([
        expect.objectContaining({ consumers: 0 }),
      ]);
    } finally {
      await observer.close();
    }
  });
});
