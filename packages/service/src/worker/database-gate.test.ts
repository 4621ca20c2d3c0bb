import { PlaytallyError } from '@playtally/core';
import { describe, expect, it } from 'vitest';
import { createDatabaseGate } from './database-gate.js';

const unavailable = () =>
  new PlaytallyError('STORE_UNAVAILABLE', 'connection refused', {
    details: { component: 'database' },
  });

describe('the database gate', () => {
  it('holds an operation through an outage and runs it again once the database answers', async () => {
    let down = true;
    let calls = 0;
    const gate = createDatabaseGate({
      probeIntervalMs: 10,
      probe: async () => {
        if (down) throw unavailable();
      },
    });
    const result = gate.run(async () => {
      calls += 1;
      if (down) throw unavailable();
      return 'done';
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(gate.available).toBe(false);
    down = false;
    expect(await result).toBe('done');
    expect(gate.available).toBe(true);
    expect(calls).toBe(2);
  });

  it('lets other errors through at once', async () => {
    const gate = createDatabaseGate({ probe: async () => {} });
    await expect(
      gate.run(async () => {
        throw new PlaytallyError('CONFLICT', 'no');
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('stops waiting with ABORTED when the signal aborts', async () => {
    const gate = createDatabaseGate({
      probeIntervalMs: 10,
      probe: async () => {
        throw unavailable();
      },
    });
    const controller = new AbortController();
    const waiting = gate.run(async () => {
      throw unavailable();
    }, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
