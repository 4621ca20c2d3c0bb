import type { JobStore } from '../../ports/job-store.js';
import type { ContractClock } from './contract-clock.js';

/** What the case groups of the job store contract read: the store and clock of the test. */
export interface JobStoreCaseContext {
  readonly store: () => JobStore;
  readonly clock: () => ContractClock;
}
