import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { PlaytallyError } from '@playtally/service';

/** Limits on uploads in progress: {@link createUploadLimiter}. */
export interface UploadLimiter {
  /**
   * Takes one upload slot and returns the function that gives it back (call it exactly once,
   * when the upload is over, whatever its outcome). Throws `TOO_MANY_UPLOADS` (503) when every
   * slot is taken.
   */
  acquire(): () => void;
  /** Uploads in progress. */
  active(): number;
}

/** At most `max` uploads at once: each holds a descriptor and disk space while it streams. */
export function createUploadLimiter(max: number): UploadLimiter {
  let active = 0;
  return {
    acquire() {
      if (active >= max) {
        throw new PlaytallyError(
          'TOO_MANY_UPLOADS',
          `${max} uploads are in progress; retry later`,
          {
            details: { maxConcurrentUploads: max, retryAfterSeconds: 2 },
          },
        );
      }
      active += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        active -= 1;
      };
    },
    active: () => active,
  };
}

/**
 * The request body as a Node stream that fails, so whatever reads it cleans up at once:
 * - with `REQUEST_TIMEOUT` (408) when no byte arrived for `idleTimeoutMs` (a client trickling
 *   bytes, or gone silent, holds no descriptor for longer than that);
 * - with `ABORTED` when the client disconnects.
 * It ends normally with the body.
 */
export function guardedBody(request: Request, idleTimeoutMs: number): Readable {
  if (!request.body) return Readable.from([]);
  const source = Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Transform({
    transform(chunk, _encoding, callback) {
      arm();
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
  });
  const stop = (error: Error) => {
    clearTimeout(timer);
    source.destroy();
    if (!guard.destroyed) guard.destroy(error);
  };
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stop(
        new PlaytallyError(
          'REQUEST_TIMEOUT',
          `the upload sent nothing for ${idleTimeoutMs} ms and was stopped`,
          { details: { idleTimeoutMs } },
        ),
      );
    }, idleTimeoutMs);
    timer.unref();
  }
  const onAbort = () =>
    stop(new PlaytallyError('ABORTED', 'the client went away during the upload'));
  request.signal.addEventListener('abort', onAbort, { once: true });
  source.on('error', (error) =>
    stop(new PlaytallyError('ABORTED', 'the upload was interrupted', { cause: error })),
  );
  // Whoever reads the guard sees its error (on iteration or through its own listener); this one
  // only keeps an error raised after the reader let go from becoming an uncaught exception.
  guard.on('error', () => {});
  guard.on('close', () => {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
  });
  arm();
  source.pipe(guard);
  return guard;
}
