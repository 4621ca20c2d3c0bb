import { createCloudEvent } from '@playtally/transport';
import { describe, expect, it } from 'vitest';
import { createRedisTransport } from './index.js';

describe('redis connection failures, in one sentence', () => {
  it('says an unreachable server is unreachable, and why, once', async () => {
    const transport = createRedisTransport({ url: 'redis://127.0.0.1:1', publishTimeoutMs: 1000 });
    try {
      const failure = await transport
        .publish('nowhere', createCloudEvent({ type: 't', source: '/s', data: 1 }))
        .catch((e: Error) => e);
      expect(failure).toMatchObject({ code: 'TRANSPORT_ERROR' });
      const message = (failure as Error).message;
      expect(message).toMatch(
        /^redis: .* "nowhere" failed: Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: connection refused \(nothing listens there: is it running\?\)$/,
      );
    } finally {
      await transport.close();
    }
  });
});
