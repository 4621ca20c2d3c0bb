/**
 * Runs the footage flow in one process: the playtally HTTP API (footage schema registered) with
 * the memory transport and memory stores, and the consumer appending prediction rows to a CSV.
 *
 *   PORT=3000 FOOTAGE_OUTPUT=./data/footage.csv pnpm --filter @playtally/example-footage start
 */
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { z } from 'zod';
import { createFootageSystem } from './footage-system.js';

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  FOOTAGE_OUTPUT: z.string().min(1).default('./data/footage.csv'),
});

const logger = pino({ name: 'footage' });
const parsed = environmentSchema.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) {
    console.error(`footage: ${issue.path.join('.')}: ${issue.message}`);
  }
  process.exit(1);
}
const { PORT: port, FOOTAGE_OUTPUT } = parsed.data;
const output = resolve(FOOTAGE_OUTPUT);

const system = createFootageSystem({ output, logger });
await system.start();
const server = serve({ fetch: system.api.app.fetch, hostname: '127.0.0.1', port }, (info) => {
  logger.info({ url: `http://127.0.0.1:${info.port}`, output }, 'footage API listening');
});
system.api.injectWebSocket(server);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  system.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
