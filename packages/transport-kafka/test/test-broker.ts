/**
 * What the Kafka tests share: the broker's address (`KAFKA_BROKERS`, default 127.0.0.1:9092),
 * a real protocol probe for `requireService`, transport options that suit tests (short session
 * and fetch waits, so rebalances take seconds, not tens of seconds), and broker-side views
 * (raw records, consumer groups) that tests check the adapter against. Not part of the package's
 * API (only `src/index.ts` is built).
 */
import { Kafka, logLevel } from 'kafkajs';
import { HEADER_PREFIX } from '../src/headers-codec.js';
import type { KafkaTransportOptions } from '../src/options.js';

/** The brokers the tests talk to. */
export const TEST_BROKERS: readonly string[] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b !== '');

/** Options for transports under test: faster group membership than the production defaults. */
export function testTransportOptions(overrides: KafkaTransportOptions = {}): KafkaTransportOptions {
  return {
    brokers: TEST_BROKERS,
    clientId: 'playtally-test',
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 500,
    closeTimeoutMs: 5_000,
    // kafkajs logs every refused connection while a fault test has the broker down.
    logLevel: 'nothing',
    ...overrides,
  };
}

/** A kafkajs client for inspecting the broker directly. */
export function createTestKafka(): Kafka {
  return new Kafka({
    clientId: 'playtally-test-inspector',
    brokers: [...TEST_BROKERS],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    connectionTimeout: 2_000,
  });
}

/** Resolves when the broker answers a metadata request (not merely accepts a connection). */
export async function probeKafka(): Promise<void> {
  const admin = createTestKafka().admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** Writes a record as a foreign producer would: given attributes as `ce_` headers, body as value. */
export async function publishRaw(
  kafka: Kafka,
  topic: string,
  attributes: Readonly<Record<string, string>>,
  body: Uint8Array,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      headers[name === 'datacontenttype' ? 'content-type' : HEADER_PREFIX + name] = value;
    }
    await producer.send({ topic, acks: -1, messages: [{ value: Buffer.from(body), headers }] });
  } finally {
    await producer.disconnect();
  }
}

/** Consumer groups that read `topic`: those with committed offsets for it or a member subscribed to it. */
export async function groupsReading(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const ids = groups
      .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
      .map((g) => g.groupId);
    const reading = await Promise.all(
      ids.map(async (groupId) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []);
        if (offsets?.partitions.some(({ offset }) => offset !== '-1')) return groupId;
        const { groups: described } = await admin.describeGroups([groupId]);
        const subscribed = described[0]?.members.some((m) =>
          m.memberMetadata.includes(Buffer.from(topic)),
        );
        return subscribed ? groupId : undefined;
      }),
    );
    return reading.filter((g): g is string => g !== undefined);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Deletes `topics`, their dead-letter topics and the consumer groups of all of them
 * (`<topic>:<group>`), so a test run leaves the broker as it found it.
 */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours = new Set(topics.flatMap((t) => [t, `${t}.dead-letter`]));
    const { groups } = await admin.listGroups();
    const groupIds = groups
      .map((g) => g.groupId)
      .filter((g) => ours.has(g.slice(0, Math.max(0, g.indexOf(':')))));
    if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => undefined);
    const existing = (await admin.listTopics()).filter((t) => ours.has(t));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
