import { afterAll, describe } from 'vitest';
import type { TransportCapabilities } from '../../transport.js';
import { deliveryCases } from './delivery-cases.js';
import { failureCases } from './failure-cases.js';
import { groupCases } from './group-cases.js';
import { cleanUpTopics, openTransport } from './helpers.js';
import { inspectionCases } from './inspection-cases.js';
import { lifecycleCases } from './lifecycle-cases.js';
import type { ContractContext, TransportContractOptions } from './options.js';

export * from './broker-restart.js';
export * from './consumer-crash.js';
export type { TransportContractOptions } from './options.js';

const ALL_CAPABILITIES: TransportCapabilities = {
  orderedByKey: true,
  survivesBrokerRestart: true,
  distributed: true,
};

/**
 * The universal Transport test suite, modelled on Watermill's Pub/Sub tests: every adapter runs
 * it unchanged against a real broker. Each case is its own named test; cases needing a
 * capability the transport lacks, or a hook it did not provide (`publishRaw`, `inspect`), are
 * skipped, never removed. Topics and groups get random names, so suites may run in parallel
 * against one broker. Broker restarts and crashed consumers have their own suites
 * ({@link describeBrokerRestartContract}, {@link describeConsumerCrashContract}) for fault tests.
 *
 * @example
 * ```ts
 * import { describeTransportContract } from '@playtally/transport/testing';
 * import { createMemoryTransport } from '@playtally/transport';
 * describeTransportContract('memory', {
 *   createTransport: () => createMemoryTransport(),
 *   capabilities: { orderedByKey: true, survivesBrokerRestart: false, distributed: false },
 * });
 * ```
 */
export function describeTransportContract(name: string, options: TransportContractOptions): void {
  const ctx: ContractContext = {
    options,
    capabilities: options.capabilities ?? ALL_CAPABILITIES,
    messageCount: options.messageCount ?? 2000,
    timeoutMs: options.timeoutMs ?? 20_000,
    quietMs: options.quietMs ?? 300,
    open: () => openTransport(options.createTransport),
  };
  describe(`Transport contract: ${name}`, () => {
    describe('delivery', () => deliveryCases(ctx));
    describe('groups', () => groupCases(ctx));
    describe('failures', () => failureCases(ctx));
    describe('lifecycle', () => lifecycleCases(ctx));
    describe('inspection', () => inspectionCases(ctx));
    afterAll(() => cleanUpTopics(options.cleanup), 60_000);
  });
}
