import { PlaytallyError, retryTransient } from '@playtally/transport';
import type { Admin, Kafka } from 'kafkajs';
import { commitGroupOffsets } from './commit-group-offsets.js';
import type { ResolvedKafkaOptions } from './options.js';

/** Kafka's own rule for topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** The admin-side work the transport needs: topics, offsets, groups and liveness. */
export interface TopicAdmin {
  /** Creates `topic` with the configured partitions unless it exists. Memoised per topic. */
  ensureTopic(topic: string): Promise<void>;
  /** How many partitions `topic` has, once {@link TopicAdmin.ensureTopic} resolved for it. */
  partitionsOf(topic: string): number | undefined;
  /**
   * Makes a consumer group exist for `topic` (Kafka keeps a group once it commits): a group with
   * no committed offset for the topic gets the earliest retained offsets committed, which is
   * where it would start anyway. A group with members or offsets is left alone.
   */
  ensureGroup(topic: string, group: string): Promise<void>;
  /** The next offset to be written, per partition (what "from now on" means for a topic). */
  endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
  /** Deletes a consumer group; a group that does not exist counts as deleted. */
  deleteGroup(groupId: string): Promise<void>;
  /** Resolves when the cluster answers a metadata request. */
  ping(): Promise<void>;
  /** The connected kafkajs admin client, for reads this interface does not cover. */
  client(): Promise<Admin>;
  /** Disconnects the admin client. */
  close(): Promise<void>;
}

/**
 * The Kafka consumer group behind a transport group: groups belong to a topic (as an AMQP queue
 * is bound to one exchange), so the topic is part of the id; `:` cannot occur in a topic name,
 * which keeps the mapping unambiguous.
 */
export function kafkaGroupId(topic: string, group: string): string {
  return `${topic}:${group}`;
}

/** Rejects a topic name Kafka would refuse, naming the rule. */
export function assertTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `kafka transport: topic "${topic}" is not a valid Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)`,
      { details: { topic } },
    );
  }
}

/** Creates the {@link TopicAdmin} over one lazily connected kafkajs admin client. */
export function createTopicAdmin(kafka: Kafka, options: ResolvedKafkaOptions): TopicAdmin {
  const admin: Admin = kafka.admin();
  let connecting: Promise<void> | undefined;
  const topics = new Map<string, Promise<void>>();
  const partitionCounts = new Map<string, number>();

  const connected = (): Promise<void> => {
    connecting ??= admin.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  const createTopic = async (topic: string): Promise<void> => {
    await connected();
    let created = false;
    try {
      created = await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: options.partitions,
            replicationFactor: options.replicationFactor,
          },
        ],
        waitForLeaders: true,
      });
    } catch (error) {
      // Another process may create it between our metadata refresh and our request.
      if (!isKafkaErrorType(error, 'TOPIC_ALREADY_EXISTS')) throw error;
    }
    if (created) {
      partitionCounts.set(topic, options.partitions);
    } else {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: [topic] });
      const count = described[0]?.partitions.length;
      if (count !== undefined && count > 0) partitionCounts.set(topic, count);
    }
  };

  return {
    partitionsOf: (topic) => partitionCounts.get(topic),
    ensureTopic(topic) {
      assertTopicName(topic);
      let pending = topics.get(topic);
      if (!pending) {
        pending = retryTransient(
          () => createTopic(topic),
          isRetriable,
          options.subscribeTimeoutMs,
        ).catch((error: unknown) => {
          topics.delete(topic);
          throw transportError(`could not create topic "${topic}"`, error, { topic });
        });
        topics.set(topic, pending);
      }
      return pending;
    },
    async ensureGroup(topic, group) {
      await connected();
      const groupId = kafkaGroupId(topic, group);
      try {
        await retryTransient(
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
            if (committed?.partitions.some(({ offset }) => offset !== '-1')) return;
            const offsets = await admin.fetchTopicOffsets(topic);
            const partitions = offsets.map(({ partition, low }) => ({ partition, offset: low }));
            await commitGroupOffsets(kafka, groupId, topic, partitions);
          },
          isRetriable,
          options.subscribeTimeoutMs,
        );
      } catch (error) {
        // A member joined meanwhile: the group exists, and its members decide its offsets.
        const { groups } = await admin.describeGroups([groupId]).catch(() => ({ groups: [] }));
        const state = groups[0]?.state;
        if (state !== undefined && state !== 'Empty' && state !== 'Dead') return;
        throw transportError(`could not create consumer group "${groupId}" for "${topic}"`, error, {
          topic,
          groupId,
        });
      }
    },
    async endOffsets(topic) {
      await connected();
      // A topic another process has just created may have no leader yet for a moment
      // (NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE: retriable errors).
      const offsets = await retryTransient(
        () => admin.fetchTopicOffsets(topic),
        isRetriable,
        options.subscribeTimeoutMs,
      );
      return offsets.map(({ partition, high }) => ({ partition, offset: high }));
    },
    async deleteGroup(groupId) {
      await connected();
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.deleteGroups([groupId]);
          return;
        } catch (error) {
          if (isKafkaErrorType(error, 'GROUP_ID_NOT_FOUND')) return;
          // Right after LeaveGroup the coordinator may still list the member for a moment.
          if (!isKafkaErrorType(error, 'NON_EMPTY_GROUP') || attempt >= 20) {
            throw transportError(`could not delete consumer group "${groupId}"`, error, {
              groupId,
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    async client() {
      await connected();
      return admin;
    },
    async ping() {
      try {
        await connected();
        await admin.describeCluster();
      } catch (error) {
        throw transportError(`no answer from ${options.brokers.join(',')}`, error, {});
      }
    },
    async close() {
      topics.clear();
      partitionCounts.clear();
      if (connecting) await admin.disconnect();
      connecting = undefined;
    },
  };
}

/** Kafka marks errors that may pass (no leader yet, a coordinator loading) as retriable. */
const isRetriable = (error: unknown): boolean =>
  (error as { retriable?: unknown } | null)?.retriable === true;

/** True when `error` (or one it aggregates) is a Kafka protocol error of the given type. */
export function isKafkaErrorType(error: unknown, type: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { type?: unknown; errors?: unknown; cause?: unknown };
  if (candidate.type === type) return true;
  if (Array.isArray(candidate.errors) && candidate.errors.some((e) => isKafkaErrorType(e, type)))
    return true;
  return candidate.cause !== undefined && isKafkaErrorType(candidate.cause, type);
}

/** Wraps a kafkajs error in `PlaytallyError('TRANSPORT_ERROR')`, keeping it as the cause. */
export function transportError(
  what: string,
  cause: unknown,
  details: Record<string, unknown>,
): PlaytallyError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PlaytallyError('TRANSPORT_ERROR', `kafka transport: ${what}: ${reason}`, {
    cause,
    details,
  });
}
