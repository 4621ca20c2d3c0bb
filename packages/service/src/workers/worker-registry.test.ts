import { createMemoryTransport } from '@playtally/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventHub } from '../events/event-hub.js';
import { createWorkerPresence } from './worker-presence.js';
import { createWorkerRegistry } from './worker-registry.js';
import { createWorkerEvent, WORKER_EVENT_TYPES, type WorkerStatus } from './worker-status.js';

const status = (overrides: Partial<WorkerStatus> = {}): WorkerStatus => ({
  id: 'host:1:abc',
  host: 'host',
  pid: 1,
  version: '1.2.3',
  transport: 'memory',
  concurrency: 2,
  activeJobs: ['job-1'],
  jobs: { processed: 4, failed: 1 },
  messages: { processed: 9, failed: 0 },
  heartbeatMs: 1000,
  startedAt: '2031-01-01T00:00:00.000Z',
  sentAt: '2031-01-01T00:00:01.000Z',
  ...overrides,
});

describe('createWorkerRegistry', () => {
  it('shows a worker alive until it misses three heartbeats, then lost with its jobs at risk', () => {
    let clock = 0;
    const registry = createWorkerRegistry({ now: () => clock });
    registry.record(createWorkerEvent(WORKER_EVENT_TYPES.started, status()));
    expect(registry.list()).toMatchObject([{ id: 'host:1:abc', status: 'alive', jobsAtRisk: [] }]);
    clock = 3000;
    expect(registry.list()[0]?.status).toBe('alive');
    clock = 3001;
    expect(registry.list()).toMatchObject([{ status: 'lost', jobsAtRisk: ['job-1'] }]);
    registry.record(
      createWorkerEvent(
        WORKER_EVENT_TYPES.heartbeat,
        status({ sentAt: '2031-01-01T00:00:05.000Z' }),
      ),
    );
    expect(registry.list()[0]?.status).toBe('alive');
  });

  it('drops a worker that says goodbye, even if a late heartbeat follows', () => {
    const registry = createWorkerRegistry();
    registry.record(createWorkerEvent(WORKER_EVENT_TYPES.heartbeat, status()));
    registry.record(createWorkerEvent(WORKER_EVENT_TYPES.stopped, status()));
    registry.record(createWorkerEvent(WORKER_EVENT_TYPES.heartbeat, status()));
    expect(registry.list()).toEqual([]);
  });

  it('ignores malformed worker events and an older announcement arriving late', () => {
    const registry = createWorkerRegistry();
    registry.record({
      ...createWorkerEvent(WORKER_EVENT_TYPES.started, status()),
      data: { worker: { id: 'x' } },
    });
    expect(registry.list()).toEqual([]);
    registry.record(createWorkerEvent(WORKER_EVENT_TYPES.heartbeat, status({ activeJobs: [] })));
    registry.record(
      createWorkerEvent(
        WORKER_EVENT_TYPES.heartbeat,
        status({ sentAt: '2031-01-01T00:00:00.500Z' }),
      ),
    );
    expect(registry.list()[0]?.activeJobs).toEqual([]);
  });
});

describe('createWorkerPresence', () => {
  const transport = createMemoryTransport();
  afterEach(async () => {
    await transport.close();
  });

  it('announces, beats with fresh activity, and says goodbye; a registry follows it', async () => {
    const hub = createEventHub({ transport });
    await hub.start();
    const registry = createWorkerRegistry();
    registry.follow(hub);
    const seen: string[] = [];
    hub.onEvent((event) => seen.push(event.type));
    let processed = 0;
    const presence = createWorkerPresence({
      transport,
      concurrency: 3,
      version: '9.9.9',
      heartbeatMs: 20,
      activity: () => ({
        activeJobs: ['j'],
        jobs: { processed, failed: 0 },
        messages: { processed: 0, failed: 0 },
      }),
    });
    await presence.start();
    await expect.poll(() => registry.list()).toHaveLength(1);
    processed = 7;
    await expect.poll(() => registry.list()[0]?.jobs.processed).toBe(7);
    expect(registry.list()[0]).toMatchObject({
      id: presence.id,
      pid: process.pid,
      version: '9.9.9',
      transport: 'memory',
      concurrency: 3,
      activeJobs: ['j'],
      status: 'alive',
    });
    await presence.close();
    await expect.poll(() => registry.list()).toEqual([]);
    expect(seen[0]).toBe('worker.started');
    expect(seen).toContain('worker.heartbeat');
    expect(seen.at(-1)).toBe('worker.stopped');
    await hub.close();
  });

  it('refuses a heartbeat interval that is not a positive number', () => {
    expect(() =>
      createWorkerPresence({
        transport,
        concurrency: 1,
        heartbeatMs: 0,
        activity: () => ({
          activeJobs: [],
          jobs: { processed: 0, failed: 0 },
          messages: { processed: 0, failed: 0 },
        }),
      }),
    ).toThrow(/heartbeatMs must be a positive number/);
  });
});
