/**
 * Creates a topic and its durable groups on a broker exactly as the playtally transport does
 * (`transport.ensure(topic, groups)`), so what the inspect scripts show afterwards is what the
 * application would have created. Used by the `create` command of rabbitmq.sh, redis.sh and
 * kafka.sh; runs on the workspace sources through `paths` in this folder's tsconfig.json.
 *
 *   npx tsx --tsconfig scripts/inspect/tsconfig.json scripts/inspect/ensure-topic.ts \
 *     amqp://guest:guest@127.0.0.1:5672 playtally.demo workers
 */
import { createTransport, isPlaytallyError } from '@playtally/transport';

const [url, topic, ...groups] = process.argv.slice(2);
if (url === undefined || topic === undefined) {
  console.error('usage: ensure-topic.ts <transport-url> <topic> [group...]');
  process.exit(2);
}

try {
  const transport = await createTransport(url, {
    importModule: (specifier) => import(specifier),
  });
  try {
    await transport.ensure(topic, groups);
  } finally {
    await transport.close();
  }
  const listed = groups.length > 0 ? ` with group(s) ${groups.join(', ')}` : '';
  console.log(`ensured topic ${topic}${listed} on ${transport.name}`);
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(isPlaytallyError(error) ? `error ${error.code}: ${reason}` : `error: ${reason}`);
  process.exitCode = 1;
}
