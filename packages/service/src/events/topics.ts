import type { Transport } from '@playtally/transport';

/**
 * The topics the service uses, and who reads them:
 *
 * - `jobs`: `job.requested`, one per submitted job, consumed by the durable group `workers`
 *   (workers compete: each job goes to one of them).
 * - `messages`: posted JSON messages, consumed by the durable group `consumers`.
 * - `events`: everything a person watching wants to see (`job.*`, `message.*`). Every API
 *   instance and every worker subscribes without a group (ephemeral), so each gets every event
 *   (fan-out) and nothing piles up on the broker for instances that have gone.
 */
export const TOPICS = {
  jobs: 'playtally.jobs',
  messages: 'playtally.messages',
  events: 'playtally.events',
} as const;

/** The durable consumer groups of {@link TOPICS}. */
export const GROUPS = {
  /** Job workers, on {@link TOPICS.jobs}. */
  workers: 'workers',
  /** Message consumers, on {@link TOPICS.messages}. */
  consumers: 'consumers',
} as const;

/** The CloudEvent `source` of events the API publishes. */
export const API_SOURCE = '/playtally/api';
/** The CloudEvent `source` of events workers and consumers publish. */
export const WORKER_SOURCE = '/playtally/worker';

/** Topic names with a common prefix, for running several systems (or tests) on one broker. */
export interface TopicNames {
  readonly jobs: string;
  readonly messages: string;
  readonly events: string;
}

/**
 * {@link TOPICS} with `prefix` in front of each name (`${prefix}.playtally.jobs`), or the
 * defaults when `prefix` is empty or undefined.
 */
export function topicNames(prefix?: string): TopicNames {
  if (!prefix) return TOPICS;
  return {
    jobs: `${prefix}.${TOPICS.jobs}`,
    messages: `${prefix}.${TOPICS.messages}`,
    events: `${prefix}.${TOPICS.events}`,
  };
}

/**
 * Creates the topics and durable groups the service needs. The API and the worker both call it
 * at start-up, so a job or message published before any worker or consumer ever ran is kept
 * for it. Idempotent.
 */
export async function ensureTopics(
  transport: Transport,
  topics: TopicNames = TOPICS,
): Promise<void> {
  await transport.ensure(topics.jobs, [GROUPS.workers]);
  await transport.ensure(topics.messages, [GROUPS.consumers]);
  await transport.ensure(topics.events, []);
}
