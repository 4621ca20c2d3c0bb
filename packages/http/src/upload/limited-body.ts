import type { IncomingMessage } from 'node:http';
import { PlaytallyError } from '@playtally/service';
import type { Context } from 'hono';

/**
 * The request body of `c`, as {@link readLimitedBytes} reads it. On a Node server
 * (`@hono/node-server`), whose request object is built lazily, it is read straight from the
 * Node request: building the Fetch `Request` and its web stream cost more than the rest of a
 * small message's path through the route.
 */
export async function readRequestBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const node = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (node === undefined || node.readableDidRead || typeof node.on !== 'function') {
    return readLimitedBytes(c.req.raw, maxBytes);
  }
  const incoming: IncomingMessage = node;
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        cleanup();
        // The rest is read and thrown away, so the connection stays usable for the answer.
        incoming.resume();
        return reject(tooLarge(maxBytes));
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error('the client closed the connection mid-body'));
    function cleanup() {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    }
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
  });
}

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
