import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
import {
  createMemoryMessageStore,
  createMessageConsumer,
  type MessageStore,
  TOPICS,
} from '@playtally/service';
import { createCloudEvent } from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFootageHandler, createFootageSystem, type FootageSystem } from '../src/index.js';
import { csvLines, footageBody, postAccepted, postFootage, waitConsumed } from './harness.js';

let directory: string;
let output: string;
const systems: FootageSystem[] = [];

function startSystem(options: Partial<Parameters<typeof createFootageSystem>[0]> = {}) {
  const system = createFootageSystem({ output, ...options });
  systems.push(system);
  return system.start().then(() => system);
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'footage-test-'));
  output = join(directory, 'out', 'footage.csv');
});

afterEach(async () => {
  for (const system of systems.splice(0)) await system.close();
  await rm(directory, { recursive: true, force: true });
});

describe('the footage flow through the HTTP API', () => {
  it('accepts a valid body with 202 and writes one CSV row per prediction, tagging low ones', async () => {
    const system = await startSystem();
    const stored = await postAccepted(
      system,
      footageBody([
        { image_frame: 'frame-0001.jpg', prob: 0.1, tags: null },
        { image_frame: 'frame-0002.jpg', prob: 0.24999, tags: ['person'] },
        { image_frame: 'frame-0003.jpg', prob: 0.25, tags: ['car', 'red'] },
        { image_frame: 'frame, "quoted"', prob: 0.9, tags: null },
      ]),
    );
    expect(stored.type).toBe('footage');
    await waitConsumed(system, stored.id);

    expect(await csvLines(output)).toEqual([
      'image_frame,prob,tags',
      'frame-0001.jpg,0.1,low_prob',
      'frame-0002.jpg,0.24999,person;low_prob',
      'frame-0003.jpg,0.25,car;red',
      '"frame, ""quoted""",0.9,',
    ]);
  });

  it('stores the message with the low_prob tag the schema added', async () => {
    const system = await startSystem();
    const stored = await postAccepted(
      system,
      footageBody([{ image_frame: 'f1', prob: 0, tags: ['low_prob'] }]),
    );
    const consumed = await waitConsumed(system, stored.id);
    expect(consumed.data).toMatchObject({
      data: { preds: [{ image_frame: 'f1', prob: 0, tags: ['low_prob'] }] },
    });
    expect(await csvLines(output)).toEqual(['image_frame,prob,tags', 'f1,0,low_prob']);
  });

  it('writes the header once across two messages', async () => {
    const system = await startSystem();
    const first = await postAccepted(
      system,
      footageBody([{ image_frame: 'a', prob: 0.5, tags: [] }]),
    );
    await waitConsumed(system, first.id);
    const second = await postAccepted(
      system,
      footageBody([{ image_frame: 'b', prob: 0.2, tags: null }]),
    );
    await waitConsumed(system, second.id);

    expect(await csvLines(output)).toEqual(['image_frame,prob,tags', 'a,0.5,', 'b,0.2,low_prob']);
  });

  it('writes the header once across a consumer restart and a whole new process', async () => {
    const system = await startSystem();
    const first = await postAccepted(
      system,
      footageBody([{ image_frame: 'a', prob: 0.5, tags: null }]),
    );
    await waitConsumed(system, first.id);

    await system.consumer.close();
    const restarted = createMessageConsumer({
      messages: system.messages,
      transport: system.transport,
      handler: createFootageHandler({ output }),
    });
    await restarted.start();
    const second = await postAccepted(
      system,
      footageBody([{ image_frame: 'b', prob: 0.6, tags: null }]),
    );
    await waitConsumed(system, second.id);
    await restarted.close();

    const another = await startSystem();
    const third = await postAccepted(
      another,
      footageBody([{ image_frame: 'c', prob: 0.7, tags: null }]),
    );
    await waitConsumed(another, third.id);

    expect(await csvLines(output)).toEqual(['image_frame,prob,tags', 'a,0.5,', 'b,0.6,', 'c,0.7,']);
  });

  it('never interleaves the rows of concurrent messages and writes one header', async () => {
    const system = await startSystem({ consumerConcurrency: 8 });
    const bodies = Array.from({ length: 24 }, (_, m) =>
      footageBody(
        Array.from({ length: 5 }, (_, p) => ({
          image_frame: `m${m}-p${p}`,
          prob: 0.5,
          tags: null,
        })),
      ),
    );
    const stored = await Promise.all(bodies.map((body) => postAccepted(system, body)));
    await Promise.all(stored.map((message) => waitConsumed(system, message.id)));

    const [header, ...rows] = await csvLines(output);
    expect(header).toBe('image_frame,prob,tags');
    expect(rows).toHaveLength(24 * 5);
    for (let start = 0; start < rows.length; start += 5) {
      const message = rows[start]?.split('-')[0];
      expect(rows.slice(start, start + 5)).toEqual(
        [0, 1, 2, 3, 4].map((p) => `${message}-p${p},0.5,`),
      );
    }
  });
});

describe('invalid footage bodies', () => {
  const valid = footageBody([{ image_frame: 'f', prob: 0.5, tags: null }]);
  const { device_id: _omitted, ...withoutDevice } = valid;
  const cases: [string, unknown, (string | number)[]][] = [
    ['a missing device_id', withoutDevice, ['device_id']],
    [
      'a prob of 1.5',
      footageBody([{ image_frame: 'f', prob: 1.5, tags: null }]),
      ['data', 'preds', 0, 'prob'],
    ],
    ['a client_id of "x"', { ...valid, client_id: 'x' }, ['client_id']],
    ['a created_at that is no datetime', { ...valid, created_at: 'yesterday' }, ['created_at']],
    [
      'a fractional license_id',
      { ...valid, data: { ...valid.data, license_id: 1.5 } },
      ['data', 'license_id'],
    ],
    [
      "a tag holding ';'",
      footageBody([{ image_frame: 'f', prob: 0.5, tags: ['a;b'] }]),
      ['data', 'preds', 0, 'tags', 0],
    ],
  ];

  it.each(cases)(
    'answers %s with 400 and zod issues naming the path',
    async (_name, body, path) => {
      const system = await startSystem();
      const response = await postFootage(system, body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as {
        error: { code: string; details: { type: string; issues: { path: unknown[] }[] } };
      };
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.type).toBe('footage');
      expect(error.details.issues.map((issue) => issue.path)).toEqual([path]);
      const list = await system.api.app.request('/v1/messages');
      expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    },
  );

  it('lets other message types through without the footage schema', async () => {
    const system = await startSystem();
    const response = await system.api.app.request('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await waitConsumed(system, id);
    await expect(csvLines(output)).rejects.toThrow(/ENOENT/);
  });
});

describe('redelivery (delivery is at least once)', () => {
  it('does not append again when a consumed message is delivered a second time', async () => {
    const system = await startSystem({ consumerConcurrency: 1 });
    const stored = await postAccepted(
      system,
      footageBody([{ image_frame: 'once', prob: 0.5, tags: null }]),
    );
    await waitConsumed(system, stored.id);

    // What a broker redelivery looks like to the consumer: the same CloudEvent id again.
    await system.transport.publish(
      TOPICS.messages,
      createCloudEvent({
        id: stored.id,
        type: stored.type,
        source: stored.source,
        data: stored.data,
      }),
      { key: stored.id },
    );
    // With one message at a time, a later message being consumed means the duplicate was handled.
    const later = await postAccepted(
      system,
      footageBody([{ image_frame: 'later', prob: 0.5, tags: null }]),
    );
    await waitConsumed(system, later.id);

    expect(await csvLines(output)).toEqual(['image_frame,prob,tags', 'once,0.5,', 'later,0.5,']);
  });

  it('does not append again when marking the message consumed failed after the rows were written', async () => {
    const store = createMemoryMessageStore();
    let failures = 0;
    const flaky: MessageStore = {
      ...store,
      async markConsumed(id, at, fallback) {
        if (failures === 0) {
          failures += 1;
          throw new Error('database went away');
        }
        return store.markConsumed(id, at, fallback);
      },
      // The consumer marks the messages of one turn together.
      async markConsumedMany(marks) {
        if (failures === 0) {
          failures += 1;
          throw new Error('database went away');
        }
        return store.markConsumedMany(marks);
      },
    };
    const system = await startSystem({ messages: flaky });
    const stored = await postAccepted(
      system,
      footageBody([{ image_frame: 'once', prob: 0.5, tags: null }]),
    );
    await waitConsumed(system, stored.id);

    expect(failures).toBe(1);
    expect(await csvLines(output)).toEqual(['image_frame,prob,tags', 'once,0.5,']);
    await store.close();
  });
});

describe('the CSV job routes beside the footage flow', () => {
  it('aggregates an uploaded CSV, so no job the app accepts stays queued', async () => {
    const system = await startSystem();
    const upload = await system.api.app.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: CANONICAL_INPUT,
    });
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: string };
    const deadline = Date.now() + 10_000;
    let status = 'queued';
    while (status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (
        (await (await system.api.app.request(`/v1/jobs/${id}`)).json()) as { status: string }
      ).status;
    }
    expect(status).toBe('succeeded');
    const result = await system.api.app.request(`/v1/jobs/${id}/result`);
    expect(await result.text()).toBe(CANONICAL_OUTPUT);
  });
});
