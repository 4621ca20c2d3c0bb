import type { Transport, TransportCapabilities } from '../../transport.js';

/** How {@link describeTransportContract} exercises an adapter. */
export interface TransportContractOptions {
  /**
   * Creates a fresh, connected transport. Called at least once per test (twice where a test
   * needs two clients of the same broker); the suite closes every transport it creates.
   */
  createTransport: () => Transport | Promise<Transport>;
  /**
   * What the transport promises. Tests of a capability it lacks are skipped, never removed, and
   * one test checks that `transport.capabilities` says the same.
   * @default { orderedByKey: true, survivesBrokerRestart: true, distributed: true }
   */
  capabilities?: TransportCapabilities;
  /**
   * Writes a message to `topic` exactly as given, the way a foreign producer could: attributes
   * as the adapter's headers or fields, `body` as the payload. Enables the tests that
   * undecodable messages are dead-lettered; skipped without it.
   */
  publishRaw?: (
    topic: string,
    attributes: Readonly<Record<string, string>>,
    body: Uint8Array,
  ) => Promise<void>;
  /**
   * Lists the broker resources that receive messages of `topic` (AMQP queues bound to its
   * exchange, Redis consumer groups of its stream, Kafka consumer groups reading it), each a
   * string containing the group name where there is one. Enables the test that an ephemeral
   * subscription leaves nothing behind; skipped without it.
   */
  inspect?: (topic: string) => Promise<readonly string[]>;
  /**
   * Deletes what the suite left on the broker for `topics` (and their dead-letter topics):
   * exchanges and queues, streams, Kafka topics. Called once after the suite.
   */
  cleanup?: (topics: readonly string[]) => Promise<void>;
  /**
   * Stops and restarts the broker, keeping its data (restart in a `finally`). Enables the
   * "no loss across a broker restart" case; skipped without it. It stops a shared broker, so
   * pass it only from a `*.fault.test.ts` file (or use `describeBrokerRestartContract` there).
   */
  restartBroker?: () => Promise<void>;
  /** Events in the concurrency test. @default 2000 */
  messageCount?: number;
  /** Longest wait for an expected delivery, in milliseconds. @default 20000 */
  timeoutMs?: number;
  /**
   * How long to watch for deliveries that must not happen (topic isolation, no redelivery after
   * close), in milliseconds. @default 300
   */
  quietMs?: number;
}

/** {@link TransportContractOptions} with defaults applied, as the case files receive them. */
export interface ContractContext {
  readonly options: TransportContractOptions;
  readonly capabilities: TransportCapabilities;
  readonly messageCount: number;
  readonly timeoutMs: number;
  readonly quietMs: number;
  /** Creates a transport that is closed when the current test finishes. */
  open(): Promise<Transport>;
}
