import { describeJobStoreContract, describeMessageStoreContract } from '../testing/index.js';
import { createMemoryJobStore } from './memory-job-store.js';
import { createMemoryMessageStore } from './memory-message-store.js';

describeJobStoreContract('memory', ({ now }) => createMemoryJobStore({ now }));
describeMessageStoreContract('memory', () => createMemoryMessageStore());
