import {
  type CloudEvent,
  createCloudEvent,
  createMemoryTransport,
  DEAD_LETTER_ATTRIBUTES,
  deadLetterTopic,
  type MemoryTransport,
  UnrecoverableError,
} from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorker, type Worker, type WorkerOptions } from './create-worker.js';

const TOPIC = 'tasks';
const fastBackoff = { initialMs: 5, maxMs: 20, factor: 2 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

let transport: MemoryTransport;
let workers: Worker[];

beforeEach(() => {
  transport = createMemoryTransport({ closeTimeoutMs: 500 });
  workers = [];
});

afterEach(async () => {
  for (const worker of workers) await worker.close();
  await transport.close();
});

function task<T>(data: T, subject?: string): CloudEvent<T> {
  return createCloudEvent({
    type: 'test.task',
    source: '/test',
    data,
    ...(subject === undefined ? {} : { subject }),
  });
}

async function start<T, R = void>(
  processor: (job: Parameters<Parameters<typeof createWorker<T, R>>[1]>[0]) => Promise<R>,
  options: Partial<WorkerOptions<T, R>> = {},
): Promise<Worker> {
  const worker = createWorker<T, R>(TOPIC, processor, {
    transport,
    backoff: fastBackoff,
    closeTimeoutMs: 300,
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function deadLetters(): Promise<CloudEvent[]> {
  const received: CloudEvent[] = [];
  await transport.subscribe(deadLetterTopic(TOPIC), async (event) => {
    received.push(event);
  });
  return received;
}

describe('createWorker', () => {
  it('runs each task with its typed data and reports the result to onCompleted', async () => {
    const results: string[] = [];
    await start<{ text: string }, string>(async (job) => job.data.text.toUpperCase(), {
      onCompleted: (_job, upper) => {
        results.push(upper);
      },
    });
    await transport.publish(TOPIC, task({ text: 'one' }));
    await transport.publish(TOPIC, task({ text: 'two' }));
    await until(() => results.length === 2, 'both results');
    expect(results.sort()).toEqual(['ONE', 'TWO']);
  });

  it('names a task by its subject, and hands progress reports to onProgress', async () => {
    const seen: { id: string; value: unknown }[] = [];
    await start<number>(
      async (job) => {
        job.progress({ step: 1, of: job.data });
        job.progress({ step: 2, of: job.data });
      },
      { onProgress: (job, value) => void seen.push({ id: job.id, value }) },
    );
    await transport.publish(TOPIC, task(2, 'task-7'));
    await until(() => seen.length === 2, 'two progress reports');
    expect(seen).toEqual([
      { id: 'task-7', value: { step: 1, of: 2 } },
      { id: 'task-7', value: { step: 2, of: 2 } },
    ]);
  });

  it('retries a failing task and tells onFailed whether the failure was final', async () => {
    const failures: { attempt: number; final: boolean }[] = [];
    let runs = 0;
    await start<number>(
      async (job) => {
        runs += 1;
        if (job.attempt < 3) throw new Error(`attempt ${job.attempt} failed`);
      },
      {
        maxAttempts: 3,
        onFailed: (job, _error, final) => void failures.push({ attempt: job.attempt, final }),
      },
    );
    await transport.publish(TOPIC, task(1));
    await until(() => runs === 3, 'the third run');
    await sleep(50);
    expect(failures).toEqual([
      { attempt: 1, final: false },
      { attempt: 2, final: false },
    ]);
  });

  it('dead-letters a task at once when its processor throws an UnrecoverableError', async () => {
    const dead = await deadLetters();
    const failures: boolean[] = [];
    let runs = 0;
    await start<number>(
      async () => {
        runs += 1;
        throw new UnrecoverableError('this task can never succeed');
      },
      { maxAttempts: 5, onFailed: (_job, _error, final) => void failures.push(final) },
    );
    await transport.publish(TOPIC, task(1));
    await until(() => dead.length === 1, 'the dead letter');
    expect(dead[0]?.extensions?.[DEAD_LETTER_ATTRIBUTES.reason]).toBe(
      'this task can never succeed',
    );
    expect(runs).toBe(1);
    expect(failures).toEqual([true]);
  });

  it('dead-letters a task whose data its parse rejects, without running it', async () => {
    const dead = await deadLetters();
    let runs = 0;
    await start<{ size: number }>(
      async () => {
        runs += 1;
      },
      {
        parse: (data) => {
          if (typeof (data as { size?: unknown }).size !== 'number')
            throw new Error('size must be a number');
          return data as { size: number };
        },
      },
    );
    await transport.publish(TOPIC, task({ size: 'big' }, 'bad-task'));
    await until(() => dead.length === 1, 'the dead letter');
    expect(dead[0]?.extensions?.[DEAD_LETTER_ATTRIBUTES.reason]).toBe(
      'task bad-task has invalid data: size must be a number',
    );
    expect(runs).toBe(0);
  });

  it('stops a cancelled task through its signal and does not run it again', async () => {
    let runs = 0;
    let aborted = false;
    const worker = await start<number>(async (job) => {
      runs += 1;
      await new Promise<void>((_resolve, reject) => {
        job.signal.addEventListener('abort', () => {
          aborted = true;
          reject(job.signal.reason);
        });
      });
    });
    await transport.publish(TOPIC, task(1, 'long-task'));
    await until(() => worker.running().includes('long-task'), 'the task to start');
    expect(worker.cancel('long-task')).toBe(true);
    await until(() => worker.running().length === 0, 'the run to end');
    await sleep(100);
    expect(aborted).toBe(true);
    expect(runs).toBe(1);
    expect(worker.cancel('long-task')).toBe(false);
  });

  it('hands a task still running at close back, so another worker of the group runs it', async () => {
    const ranBy: string[] = [];
    const first = await start<number>(async (job) => {
      ranBy.push('first');
      await new Promise((_resolve, reject) =>
        job.signal.addEventListener('abort', () => reject(job.signal.reason)),
      );
    });
    await transport.publish(TOPIC, task(1, 'handed-back'));
    await until(() => first.running().length === 1, 'the first worker to start it');
    const second = createWorker<number>(
      TOPIC,
      async () => {
        ranBy.push('second');
      },
      { transport, backoff: fastBackoff },
    );
    workers.push(second);
    await second.start();
    await first.close();
    await until(() => ranBy.includes('second'), 'the second worker to run it');
    expect(ranBy).toEqual(['first', 'second']);
  });
});
