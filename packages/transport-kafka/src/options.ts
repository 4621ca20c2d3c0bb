import { type Logger, PlaytallyError, silentLogger } from '@playtally/transport';
import type { Kafka } from 'kafkajs';

/** How much kafkajs itself logs. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/**
 * Options of {@link createKafkaTransport}. Give `brokers` (or a `kafka://` `url`) and the
 * transport creates and owns its kafkajs client, or give a `kafka` client you own.
 */
export interface KafkaTransportOptions {
  /** Bootstrap brokers as `host:port`, one string or a list. @default ['127.0.0.1:9092'] */
  brokers?: string | readonly string[];
  /** `kafka://host:port[,host:port…]`, as in `TRANSPORT_URL`; an alternative to `brokers`. */
  url?: string;
  /**
   * A kafkajs client the caller owns. The transport creates its producer, admin and consumers
   * from it and disconnects only those on close. `brokers`, `url`, `clientId` and `logLevel`
   * are then ignored, and `logger` receives only the transport's own lines.
   */
  kafka?: Kafka;
  /** Client id sent to the broker; also prefixes ephemeral group ids. @default 'playtally' */
  clientId?: string;
  /** Partitions of each topic the transport creates. @default 3 */
  partitions?: number;
  /** Replication factor of created topics; -1 takes the broker's `default.replication.factor`. @default -1 */
  replicationFactor?: number;
  /** How long `close()` waits for in-flight handlers before aborting their signal. @default 10000 */
  closeTimeoutMs?: number;
  /** How long `subscribe()` waits for the consumer to join its group. @default 60000 */
  subscribeTimeoutMs?: number;
  /** Consumer group session timeout: a consumer silent this long is evicted. @default 30000 */
  sessionTimeoutMs?: number;
  /** Heartbeats are sent this often, also while a slow handler runs. @default 3000 */
  heartbeatIntervalMs?: number;
  /** How long the group waits for every member to rejoin during a rebalance. @default 60000 */
  rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for new messages; bounds how fast an idle consumer sees a rebalance. @default 1000 */
  maxWaitTimeMs?: number;
  /**
   * Publishes are batched: those made while a send is in flight (or within `lingerMs`) go out
   * together in one produce request, and each resolves when its batch is acknowledged.
   * @default 0
   */
  lingerMs?: number;
  /** Most messages in one produce request. @default 1000 */
  maxBatchMessages?: number;
  /**
   * Most bytes (keys, values and headers) one partition gets in one produce request; keep it
   * below the broker's `message.max.bytes` (1 MiB by default). @default 1000000
   */
  maxBatchBytes?: number;
  /**
   * Use kafkajs' idempotent producer (no duplicates from producer retries). kafkajs marks it
   * experimental; with it a publish retries without limit while the broker is away.
   * @default false
   */
  idempotent?: boolean;
  /** How much kafkajs logs. @default 'error' */
  logLevel?: KafkaLogLevel;
  /**
   * Receives the transport's own lines (dead letters, commit failures, lost consumers) and
   * kafkajs' lines at their own levels (pino or any `Logger`); without it the transport is
   * silent and kafkajs prints to the console in its own format. @default undefined
   */
  logger?: Logger;
}

/** {@link KafkaTransportOptions} with defaults applied. */
export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly closeTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxWaitTimeMs: number;
  readonly lingerMs: number;
  readonly maxBatchMessages: number;
  readonly maxBatchBytes: number;
  readonly idempotent: boolean;
  readonly logLevel: KafkaLogLevel;
  readonly logger: Logger;
}

/** Applies defaults and rejects nonsense with `PlaytallyError('CONFIG_INVALID')`. */
export function resolveKafkaOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  const resolved: ResolvedKafkaOptions = {
    brokers: resolveBrokers(options),
    clientId: options.clientId ?? 'playtally',
    partitions: options.partitions ?? 3,
    replicationFactor: options.replicationFactor ?? -1,
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    subscribeTimeoutMs: options.subscribeTimeoutMs ?? 60_000,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
    lingerMs: options.lingerMs ?? 0,
    maxBatchMessages: options.maxBatchMessages ?? 1000,
    maxBatchBytes: options.maxBatchBytes ?? 1_000_000,
    idempotent: options.idempotent ?? false,
    logLevel: options.logLevel ?? 'error',
    logger: options.logger ?? silentLogger,
  };
  const positive = [
    'partitions',
    'maxBatchMessages',
    'maxBatchBytes',
    'heartbeatIntervalMs',
  ] as const;
  for (const name of positive) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1) {
      throw invalid(`${name} must be a positive integer, got ${resolved[name]}`);
    }
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw invalid(
      `heartbeatIntervalMs (${resolved.heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${resolved.sessionTimeoutMs})`,
    );
  }
  return resolved;
}

/**
 * Reads the broker list from `brokers` or a `kafka://h1:9092,h2:9092` URL (the form
 * `TRANSPORT_URL` uses).
 */
export function resolveBrokers(options: Pick<KafkaTransportOptions, 'brokers' | 'url'>): string[] {
  if (options.brokers !== undefined) {
    const list =
      typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers];
    const brokers = list.map((b) => b.trim()).filter((b) => b !== '');
    if (brokers.length === 0) throw invalid('brokers must name at least one host:port');
    return brokers;
  }
  if (options.url !== undefined) {
    const match = /^kafka:\/\/([^/?#]+)\/?$/.exec(options.url.trim());
    if (!match?.[1])
      throw invalid(
        `not a kafka:// URL: "${options.url}" (expected kafka://host:port[,host:port])`,
      );
    return match[1].split(',').map((b) => (b.includes(':') ? b : `${b}:9092`));
  }
  return ['127.0.0.1:9092'];
}

function invalid(message: string): PlaytallyError {
  return new PlaytallyError('CONFIG_INVALID', `kafka transport: ${message}`);
}
