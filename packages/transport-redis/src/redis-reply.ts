import type { Delivery } from '@playtally/transport';
import type { Redis } from 'ioredis';
import { decodeStreamFields } from './redis-fields.js';

/** One stream entry, decoded, as the kit delivers it. */
export interface StreamEntry extends Delivery {
  readonly id: string;
}

/**
 * Entries of an XREAD/XREADGROUP reply for one stream (`[[key, [[id, fields], …]]]` or null),
 * or of XAUTOCLAIM's second element (`[[id, fields], …]`), read with Buffer replies.
 */
export function parseEntries(reply: unknown, attempt: number, nested = true): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const list = nested ? ((reply[0] as unknown[] | undefined)?.[1] as unknown) : reply;
  if (!Array.isArray(list)) return [];
  const entries: StreamEntry[] = [];
  for (const item of list) {
    if (!Array.isArray(item)) continue;
    const [id, fields] = item as [Buffer | string, Buffer[] | null];
    // Entries trimmed away (MAXLEN) while pending come back without fields; skip them.
    if (fields === null || fields === undefined) continue;
    const { message, key } = decodeStreamFields(fields);
    entries.push({ id: id.toString(), message, key, attempt });
  }
  return entries;
}

/** True when `error` is the Redis error with this code, e.g. `NOGROUP` or `BUSYGROUP`. */
export function isRedisError(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(code);
}

/** Creates a consumer group on `stream` (and the stream) unless it exists. */
export async function createGroup(
  redis: Redis,
  stream: string,
  group: string,
  startId: '$' | '0',
): Promise<void> {
  try {
    await redis.call('XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM');
  } catch (error) {
    if (!isRedisError(error, 'BUSYGROUP')) throw error;
  }
}

/** Closes a connection politely, or abruptly if the server does not answer within a second. */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.quit().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 1000);
    }),
  ]);
  clearTimeout(timer);
  redis.disconnect();
}
