// Shared by the transport bench modules: payloads, timing and percentiles.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** A topic name unique to this run. */
export const benchTopic = (name) => `bench.${name}.${randomBytes(4).toString('hex')}`;

const pads = new Map();

/** Event data whose JSON encoding is about `size` bytes, carrying its index and send time. */
export function eventData(n, size, sentAt = 0) {
  let pad = pads.get(size);
  if (pad === undefined) {
    // One flat string shared by every event, like the raw clients' one shared body buffer.
    pad = Buffer.alloc(Math.max(0, size - 48), 'x').toString('latin1');
    pads.set(size, pad);
  }
  return { n, sentAt, pad };
}

/** Milliseconds since the time origin, with sub-millisecond precision. */
export const now = () => performance.now();

/** A `size`-byte body for raw clients. */
export const rawBody = (size) => Buffer.alloc(size, 'x');

/** msgs/s for `count` messages over `ms`. */
export const perSecond = (count, ms) => (count * 1000) / ms;

/** Resolves when `condition()` is true, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(condition, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs `publishOne(i)` for i < count with at most `window` in flight. */
export async function publishWindowed(count, window, publishOne) {
  for (let start = 0; start < count; start += window) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + window); i += 1) batch.push(publishOne(i));
    await Promise.all(batch);
  }
}

/** p50 and p99 of a list of numbers. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * The adapter half of every module: ensure a group, publish `count` events with up to 1,000
 * publishes in flight, then consume them with concurrency 500.
 */
export async function benchAdapter(transport, { count, size }) {
  const { createCloudEvent } = await import('../../packages/transport/dist/index.js');
  const topic = benchTopic(transport.name);
  try {
    await transport.ensure(topic, ['bench']);
    let started = now();
    await publishWindowed(count, 1000, (n) =>
      transport.publish(
        topic,
        createCloudEvent({ type: 'bench', source: '/bench', data: eventData(n, size) }),
      ),
    );
    const publishPerSec = perSecond(count, now() - started);
    let received = 0;
    started = now();
    const countDelivery = async () => {
      received += 1;
    };
    const subscription = await transport.subscribe(topic, countDelivery, {
      group: 'bench',
      concurrency: 500,
    });
    await until(() => received >= count);
    const consumePerSec = perSecond(count, now() - started);
    await subscription.close();
    return { publishPerSec, consumePerSec, topic };
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/** Publish -> handler latency through an adapter, publishing in windows of 50. */
export async function benchLatency(transport, { count, size }) {
  const { createCloudEvent } = await import('../../packages/transport/dist/index.js');
  const topic = benchTopic(`${transport.name}-latency`);
  const latencies = [];
  const subscription = await transport.subscribe(
    topic,
    async (event) => void latencies.push(now() - event.data.sentAt),
    { group: 'bench', concurrency: 500 },
  );
  await publishWindowed(count, 50, (n) =>
    transport.publish(
      topic,
      createCloudEvent({ type: 'bench', source: '/bench', data: eventData(n, size, now()) }),
    ),
  );
  await until(() => latencies.length >= count);
  await subscription.close();
  return { ...percentiles(latencies), topic };
}
