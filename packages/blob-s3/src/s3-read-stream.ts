import { PassThrough, type Readable } from 'node:stream';

/**
 * The body of a `GetObject` answer as the blob store hands it out: the socket's chunks as they
 * come (tens of KiB; gathering them into larger pieces measured slower, as the engine's cost per
 * chunk is negligible next to the copy), with a failure of the connection mid-body (the server
 * went away) turned by `mapError` into an error that says what failed. Destroying the returned
 * stream closes the connection.
 */
export function readStreamOf(body: Readable, mapError: (error: unknown) => Error): Readable {
  // Object mode on the readable side hands each chunk out as it is: a byte-mode reader would
  // join whatever is buffered into one larger chunk.
  const out = new PassThrough({ readableObjectMode: true, readableHighWaterMark: 16 });
  body.once('error', (error) => out.destroy(mapError(error)));
  out.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
