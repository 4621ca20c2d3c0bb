import { PlaytallyError } from '@playtally/service';

/**
 * Reads a request body into memory, refusing it with `PAYLOAD_TOO_LARGE` as soon as it passes
 * `maxBytes` (by its Content-Length up front, or while reading).
 */
export async function readLimitedBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): PlaytallyError {
  return new PlaytallyError('PAYLOAD_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}
