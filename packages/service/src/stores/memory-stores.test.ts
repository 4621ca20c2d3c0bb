import {
  describeDeadLetterStoreContract,
  describeJobStoreContract,
  describeMessageStoreContract,
} from '../testing/index.js';
import { createMemoryDeadLetterStore } from './memory-dead-letter-store.js';
import { createMemoryJobStore } from './memory-job-store.js';
import { createMemoryMessageStore } from './memory-message-store.js';

describeJobStoreContract('memory', ({ now }) => createMemoryJobStore({ now }));
describeMessageStoreContract('memory', () => createMemoryMessageStore());
describeDeadLetterStoreContract('memory', async () => ({
  store: createMemoryDeadLetterStore(),
  close: async () => {},
}));
