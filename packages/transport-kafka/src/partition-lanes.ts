import type { Delivery, DeliverySink, Logger } from '@playtally/transport';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { fromKafkaMessage, messageKey } from './headers-codec.js';

/**
 * Handled offsets are passed on to kafkajs (`resolveOffset`, which parses and formats a 64-bit
 * offset each time) every this many messages and at the end of a batch, not after each one; a
 * commit in between (closing) first catches up with what was handled.
 */
const RESOLVE_EVERY = 64;

/**
 * How long `eachBatch` waits for a batch before detaching it and pausing its partition: long
 * enough that batches of fast handlers never pay a paused partition's extra fetch wait, short
 * enough that a slow handler holds up other partitions' fetches only briefly.
 */
const DETACH_AFTER_MS = 200;

/** One fetched batch of one partition, and how far it has been handled. */
interface Lane {
  readonly generation: number;
  readonly messages: readonly KafkaMessage[];
  readonly handled: Uint8Array;
  readonly resolveOffset: (offset: string) => void;
  /** Messages from the batch's start that are all handled: the commit point. */
  resolved: number;
  reported: number;
  acked: number;
  finish: () => void;
}

/** A record of a fetched batch, as the kit delivers it. */
export interface KafkaDelivery extends Delivery {
  readonly lane: Lane;
  readonly index: number;
}

/** The consuming side of a Kafka receiver, driven by kafkajs. */
export interface PartitionLanes {
  /** The `eachBatch` callback: hands the batch to the kit (see {@link createPartitionLanes}). */
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /** Acknowledges a delivery: resolves its offset once every earlier one of its batch is. */
  ack(delivery: KafkaDelivery): void;
  /** False once the delivery's assignment was replaced by a rebalance. */
  isCurrent(delivery: KafkaDelivery): boolean;
  /** A new group generation: the batches of the previous one are dropped unresolved. */
  onGroupJoin(): void;
  /** Stops taking batches (closing). */
  stop(): void;
  /** Resolves what this generation has handled and commits it; used before leaving the group. */
  commitHandled(): Promise<void>;
}

/**
 * One lane per fetched batch. The batch's records go to the kit in offset order (the kit starts
 * them in that order, keeps one key's records in order and bounds the handlers by
 * `concurrency`); an offset is resolved (and so committed) only when it and every offset before
 * it in the batch were acknowledged, that is handled or dead-lettered. A batch still running
 * after `DETACH_AFTER_MS` is detached: its partition is paused while the kit works through it,
 * so kafkajs keeps fetching (and heartbeating) for the other partitions instead of waiting for
 * the slowest handler, then resumed and committed once it is done. (Fast batches are awaited,
 * as kafkajs expects: pausing and resuming costs a fetch wait.) After a rebalance the records of
 * the old generation are no longer current and stay unresolved: they are fetched again (at least
 * once), and the kit's per-key order keeps one key's records from running side by side.
 */
export function createPartitionLanes(
  sink: DeliverySink<KafkaDelivery>,
  logger: Logger,
): PartitionLanes {
  const lanes = new Set<Lane>();
  let generation = 0;
  let stopped = false;
  let commit: (() => Promise<void>) | undefined;

  const report = (lane: Lane): void => {
    if (lane.reported === lane.resolved) return;
    lane.reported = lane.resolved;
    lane.resolveOffset((lane.messages[lane.resolved - 1] as KafkaMessage).offset);
  };

  const commitFailed = (error: unknown): void =>
    logger.warn(
      { err: error },
      'kafka: committing offsets failed; handled messages may be delivered again',
    );

  return {
    async eachBatch({ batch, pause, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }) {
      if (stopped) {
        pause();
        return;
      }
      const ofGeneration = generation;
      const commitAll = () => commitOffsetsIfNecessary(uncommittedOffsets());
      commit = commitAll;
      const { messages } = batch;
      let done = false;
      const finished = new Promise<void>((resolve) => {
        const lane: Lane = {
          generation: ofGeneration,
          messages,
          handled: new Uint8Array(messages.length),
          resolveOffset,
          resolved: 0,
          reported: 0,
          acked: 0,
          finish: () => {
            done = true;
            lanes.delete(lane);
            resolve();
          },
        };
        lanes.add(lane);
        for (let index = 0; index < messages.length; index++) {
          const message = messages[index] as KafkaMessage;
          sink.push({
            message: fromKafkaMessage(message),
            key: messageKey(message),
            attempt: 1,
            lane,
            index,
          });
        }
        if (messages.length === 0) lane.finish();
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise((resolve) => (timer = setTimeout(resolve, DETACH_AFTER_MS))),
      ]);
      clearTimeout(timer);
      if (done) return;
      const resume = pause();
      void finished.then(() => {
        if (ofGeneration !== generation || stopped) return;
        resume();
        // Detached lanes commit themselves (kafkajs commits only when a batch returns).
        commitAll().catch(commitFailed);
      });
    },

    ack({ lane, index }) {
      if (lane.generation !== generation) return;
      lane.handled[index] = 1;
      lane.acked += 1;
      if (index === lane.resolved) {
        const count = lane.messages.length;
        while (lane.resolved < count && lane.handled[lane.resolved] === 1) lane.resolved += 1;
        if (lane.resolved === count || lane.resolved - lane.reported >= RESOLVE_EVERY) report(lane);
      }
      if (lane.acked === lane.messages.length) lane.finish();
    },

    isCurrent: (delivery) => delivery.lane.generation === generation,

    onGroupJoin() {
      generation += 1;
      lanes.clear();
      commit = undefined;
    },

    stop() {
      stopped = true;
    },

    async commitHandled() {
      for (const lane of lanes) report(lane);
      await commit?.().catch(commitFailed);
    },
  };
}
