import { AggregationThread } from './aggregation-thread.js';
import type { RangeThread } from './range-thread.js';

/*
 * Aggregation threads kept for the next run: starting a thread (a new V8 isolate loading the
 * engine) costs tens of milliseconds, which runs back to back (a service's jobs, tests) need
 * not pay each time. An idle thread never keeps the process alive, and is stopped after a few
 * seconds without work.
 */

const IDLE_MS = 5_000;
const idle: AggregationThread[] = [];
let nextIndex = 0;
let sweep: NodeJS.Timeout | undefined;

/** `count` threads, idle ones first, for one run's exclusive use; give them back with {@link releaseThreads}. */
export function borrowThreads(count: number): AggregationThread[] {
  const threads: AggregationThread[] = [];
  while (threads.length < count && idle.length > 0) {
    const thread = idle.pop()!;
    if (!thread.alive) continue;
    thread.keepProcessAlive(true);
    threads.push(thread);
  }
  while (threads.length < count) threads.push(new AggregationThread(nextIndex++));
  return threads;
}

/**
 * Takes back threads after a run that succeeded (their work all settled). Threads of a failed
 * or aborted run are terminated instead, since they may still be busy.
 */
export function releaseThreads(threads: readonly RangeThread[]): void {
  for (const thread of threads) {
    if (!(thread instanceof AggregationThread) || !thread.alive) continue;
    thread.keepProcessAlive(false);
    idle.push(thread);
  }
  clearTimeout(sweep);
  sweep = setTimeout(() => {
    for (const thread of idle.splice(0)) void thread.terminate();
  }, IDLE_MS);
  sweep.unref();
}
