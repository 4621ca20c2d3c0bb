import { Writable } from 'node:stream';
import { aggregateCsvTuned } from './aggregate-csv.js';
import { DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import type { AggregateOptions, AggregateStatistics } from './types.js';

/**
 * Test support: runs the engine on in-memory input and collects the output as text. Not part
 * of the package API.
 */

/** Tuning that reaches the rare paths with tiny inputs: every chunk is scanned, runs merge two at a time. */
export const TINY_TUNING: EngineTuning = {
  minBatchBytes: 1,
  maxFanIn: 2,
  minRangeBytes: 1,
  rangesPerThread: 1,
  reuseThreads: true,
  minSlicedMergeGroups: 1,
  runIndexEvery: 2,
};

/** A Writable that keeps everything written to it. */
export function collectingSink(): { sink: Writable; text: () => string; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
    final(callback) {
      ended = true;
      callback();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8'), ended: () => ended };
}

/** Splits `bytes` into chunks of the given sizes (cycled). */
export function chunked(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? bytes.length);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Runs `aggregateCsv` on `input` and returns the output text and the statistics. */
export async function aggregateToText(
  input: string | Buffer | readonly Buffer[],
  options: AggregateOptions = {},
  tuning: EngineTuning = DEFAULT_TUNING,
): Promise<{ text: string; statistics: AggregateStatistics }> {
  const chunks =
    typeof input === 'string' ? [Buffer.from(input)] : Buffer.isBuffer(input) ? [input] : input;
  const { sink, text } = collectingSink();
  const statistics = await aggregateCsvTuned(chunks, sink, options, tuning);
  return { text: text(), statistics };
}
