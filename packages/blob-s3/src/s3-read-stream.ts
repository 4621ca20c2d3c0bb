import { type Readable, Transform, type TransformCallback } from 'node:stream';

/** Size the network's small chunks are gathered up to: the engine's per-chunk work is amortised. */
const GATHER_BYTES = 1024 * 1024;

/**
 * The body of a `GetObject` answer as the blob store hands it out: the socket's chunks (often
 * 16-64 KiB) gathered into pieces of about 1 MiB, as the filesystem store reads, and a failure
 * of the connection mid-body (the server went away) turned by `mapError` into an error that
 * says what failed. Destroying the returned stream closes the connection.
 */
export function readStreamOf(body: Readable, mapError: (error: unknown) => Error): Readable {
  const pieces: Buffer[] = [];
  let gathered = 0;
  const take = (): Buffer => {
    const piece = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, gathered);
    pieces.length = 0;
    gathered = 0;
    return piece;
  };
  // Object mode on the readable side, so each piece is handed out as it is (a byte-mode reader
  // would join whatever is buffered into one larger chunk); two pieces are read ahead.
  const out = new Transform({
    readableObjectMode: true,
    readableHighWaterMark: 2,
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      // Pieces stay at most GATHER_BYTES (unless one chunk alone is larger).
      const full = gathered > 0 && gathered + chunk.byteLength > GATHER_BYTES ? take() : undefined;
      pieces.push(chunk);
      gathered += chunk.byteLength;
      done(null, full);
    },
    flush(done: TransformCallback) {
      done(null, gathered > 0 ? take() : undefined);
    },
  });
  body.once('error', (error) => out.destroy(mapError(error)));
  out.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
