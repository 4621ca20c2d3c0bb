import { requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import {
  createTestKafka,
  probeKafka,
  TEST_BROKERS,
} from '../../../packages/transport-kafka/test/test-broker.js';
import { describeEndToEnd } from './end-to-end.js';
import { POSTGRES_URL, probePostgres } from './postgres.js';
import { probeS3, S3_ENDPOINT } from './s3-storage.js';

const available =
  (await requireService(
    `Kafka at ${TEST_BROKERS.join(',')} (scripts/kafka/start.sh)`,
    probeKafka,
  )) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres)) &&
  (await requireService(`an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`, probeS3));

describe.skipIf(!available)('end to end over Kafka', () => {
  describeEndToEnd('Kafka', {
    composeStack: 'kafka',
    transportUrl: `kafka://${TEST_BROKERS.join(',')}`,
    async deleteTopics(topics) {
      const admin = createTestKafka().admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const doomed = topics
          .flatMap((topic) => [topic, `${topic}.dead-letter`])
          .filter((topic) => existing.has(topic));
        if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
      } finally {
        await admin.disconnect();
      }
    },
  });
});
