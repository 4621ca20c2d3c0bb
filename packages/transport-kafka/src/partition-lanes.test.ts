import type { DeliverySink, Logger } from '@playtally/transport';
import { silentLogger } from '@playtally/transport';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createPartitionLanes, type KafkaDelivery } from './partition-lanes.js';

/** A fetched batch of `count` records on partition 0, offsets from 100, as kafkajs hands it over. */
function fakeBatch(count: number, commit: () => Promise<void> = async () => {}) {
  const messages = Array.from(
    { length: count },
    (_, n) =>
      ({
        offset: String(100 + n),
        key: Buffer.from(`key-${n % 3}`),
        value: Buffer.from('{}'),
        headers: {},
      }) as unknown as KafkaMessage,
  );
  const resume = vi.fn();
  const payload = {
    batch: { topic: 't', partition: 0, messages },
    pause: vi.fn(() => resume),
    resolveOffset: vi.fn(),
    commitOffsetsIfNecessary: vi.fn(commit),
    uncommittedOffsets: () => ({ topics: [] }),
  };
  return { payload, resume, asPayload: payload as unknown as EachBatchPayload };
}

function collect(): { sink: DeliverySink<KafkaDelivery>; pushed: KafkaDelivery[] } {
  const pushed: KafkaDelivery[] = [];
  return { sink: { push: (delivery) => void pushed.push(delivery), lost: () => {} }, pushed };
}

const resolvedOffsets = (mock: { mock: { calls: unknown[][] } }) =>
  mock.mock.calls.map(([offset]) => offset);

describe('kafka partition lanes', () => {
  it('hands a batch over in offset order with keys and resolves offsets only up to the handled prefix', async () => {
    const { sink, pushed } = collect();
    const lanes = createPartitionLanes(sink, silentLogger);
    lanes.onGroupJoin();
    const { payload, asPayload } = fakeBatch(4);
    const running = lanes.eachBatch(asPayload);
    expect(pushed.map(({ index, key }) => `${index}:${key}`)).toEqual([
      '0:key-0',
      '1:key-1',
      '2:key-2',
      '3:key-0',
    ]);
    lanes.ack(pushed[1]!);
    lanes.ack(pushed[2]!);
    expect(payload.resolveOffset).not.toHaveBeenCalled(); // offset 100 is not handled yet
    lanes.ack(pushed[0]!);
    lanes.ack(pushed[3]!);
    await running;
    expect(resolvedOffsets(payload.resolveOffset)).toEqual(['103']);
    expect(payload.pause).not.toHaveBeenCalled();
  });

  it('resolves every 64 handled records, not after each one', async () => {
    const { sink, pushed } = collect();
    const lanes = createPartitionLanes(sink, silentLogger);
    lanes.onGroupJoin();
    const { payload, asPayload } = fakeBatch(130);
    const running = lanes.eachBatch(asPayload);
    for (const delivery of pushed) lanes.ack(delivery);
    await running;
    expect(resolvedOffsets(payload.resolveOffset)).toEqual(['163', '227', '229']);
  });

  it('detaches a slow batch: pauses its partition, then resumes and commits once it is done', async () => {
    const { sink, pushed } = collect();
    const lanes = createPartitionLanes(sink, silentLogger);
    lanes.onGroupJoin();
    const { payload, resume, asPayload } = fakeBatch(2);
    await lanes.eachBatch(asPayload); // returns after the detach delay with the batch unfinished
    expect(payload.pause).toHaveBeenCalledTimes(1);
    expect(resume).not.toHaveBeenCalled();
    for (const delivery of pushed) lanes.ack(delivery);
    await vi.waitFor(() => expect(payload.commitOffsetsIfNecessary).toHaveBeenCalledTimes(1));
    expect(resume).toHaveBeenCalledTimes(1);
    expect(resolvedOffsets(payload.resolveOffset)).toEqual(['101']);
  });

  it('drops the work of a previous generation after a rebalance', async () => {
    const { sink, pushed } = collect();
    const lanes = createPartitionLanes(sink, silentLogger);
    lanes.onGroupJoin();
    const { payload, asPayload } = fakeBatch(2);
    void lanes.eachBatch(asPayload);
    lanes.onGroupJoin();
    expect(pushed.map((delivery) => lanes.isCurrent(delivery))).toEqual([false, false]);
    for (const delivery of pushed) lanes.ack(delivery);
    await lanes.commitHandled();
    expect(payload.resolveOffset).not.toHaveBeenCalled();
    expect(payload.commitOffsetsIfNecessary).not.toHaveBeenCalled();
  });

  it('logs a failed commit instead of swallowing it', async () => {
    const warn = vi.fn();
    const logger: Logger = { ...silentLogger, warn };
    const { sink, pushed } = collect();
    const lanes = createPartitionLanes(sink, logger);
    lanes.onGroupJoin();
    const { asPayload } = fakeBatch(1, async () => {
      throw new Error('coordinator not available');
    });
    await lanes.eachBatch(asPayload);
    lanes.ack(pushed[0]!);
    await lanes.commitHandled();
    await vi.waitFor(() => expect(warn).toHaveBeenCalled());
    expect(warn.mock.calls[0]?.[1]).toMatch(/committing offsets failed/);
    expect(warn.mock.calls[0]?.[0]).toMatchObject({
      err: expect.objectContaining({ message: 'coordinator not available' }),
    });
  });
});
