// Bench module for the in-process memory transport (no raw client to compare with).
import { benchAdapter, benchLatency } from './lib.mjs';

const { createMemoryTransport } = await import('../../packages/transport/dist/index.js');

export default {
  name: 'memory',
  url: 'memory://',
  available: async () => true,
  raw: async () => undefined,
  async adapter(options) {
    const transport = createMemoryTransport();
    try {
      return await benchAdapter(transport, options);
    } finally {
      await transport.close();
    }
  },
  async latency(options) {
    const transport = createMemoryTransport();
    try {
      return await benchLatency(transport, options);
    } finally {
      await transport.close();
    }
  },
};
