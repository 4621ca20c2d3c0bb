import { createHash, type Hash } from 'node:crypto';
import { type ByteSource, sourceChunks } from '@playtally/core';

/**
 * The upload's bytes as they pass, feeding `hash`: the fingerprint of an idempotent job request
 * is known once the upload is stored, without reading it twice.
 */
export async function* hashedChunks(source: ByteSource, hash: Hash): AsyncGenerator<Uint8Array> {
  const chunks = sourceChunks(source);
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      hash.update(next.value);
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

/** A SHA-256 hash, started with the request's other fields (name, policy) so they count too. */
export function requestHash(...fields: readonly (string | undefined)[]): Hash {
  const hash = createHash('sha256');
  for (const field of fields) hash.update(`${field ?? ''}\n`);
  return hash;
}
