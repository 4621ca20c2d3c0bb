import { type ByteSource, PlaytallyError, sourceChunks } from '@playtally/core';
import { expectedBytesError } from '@playtally/service';

/** Options of {@link meterSource}. */
export interface MeterOptions {
  /** Past this many bytes the stream fails with `PAYLOAD_TOO_LARGE`. */
  maxBytes?: number | undefined;
  /** Fails the stream with `ABORTED`, even while the source is waiting for data. */
  signal?: AbortSignal | undefined;
  /** The size the source must have: one byte more, or an end before it, fails the stream. */
  exactBytes?: number | undefined;
}

/** A source being read: its chunks, how many bytes so far, and why it stopped if it failed. */
export interface MeteredSource {
  readonly chunks: AsyncGenerator<Uint8Array>;
  /** Bytes read so far. */
  bytes(): number;
  /**
   * The error that ended the source (its own failure, `PAYLOAD_TOO_LARGE` or `ABORTED`), as
   * opposed to a failure of the store consuming it; `undefined` while none.
   */
  failure(): unknown;
}

/**
 * Reads any {@link ByteSource} chunk by chunk, counting bytes: the stream fails as soon as
 * `maxBytes` (or `exactBytes`) is passed, without reading further, when it ends short of
 * `exactBytes`, or when `signal` aborts; then it releases the source. Nothing is buffered here;
 * the consumer pulls at its own pace.
 */
export function meterSource(source: ByteSource, options: MeterOptions = {}): MeteredSource {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const { signal, exactBytes } = options;
  let bytes = 0;
  let failure: { readonly error: unknown } | undefined;

  async function* read(): AsyncGenerator<Uint8Array> {
    const chunks = sourceChunks(source);
    let onAbort: (() => void) | undefined;
    const aborted =
      signal === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            onAbort = () => reject(abortError(signal));
            if (signal.aborted) onAbort();
            else signal.addEventListener('abort', onAbort, { once: true });
          });
    aborted?.catch(() => {});
    let finished = false;
    // Only the source's own failures, the limit and the abort are recorded: an error the
    // consumer throws in at `yield` (a stream destroyed on its way out) is not the source's.
    const failed = (error: unknown): unknown => {
      failure ??= { error };
      return error;
    };
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next =
            aborted === undefined
              ? await chunks.next()
              : await Promise.race([chunks.next(), aborted]);
        } catch (error) {
          throw failed(error);
        }
        if (next.done) {
          finished = true;
          if (exactBytes !== undefined && bytes !== exactBytes) {
            throw failed(expectedBytesError(exactBytes, bytes, true));
          }
          return;
        }
        bytes += next.value.byteLength;
        if (bytes > maxBytes) {
          throw failed(
            new PlaytallyError('PAYLOAD_TOO_LARGE', `Blob exceeds the limit of ${maxBytes} bytes`, {
              details: { maxBytes },
            }),
          );
        }
        if (exactBytes !== undefined && bytes > exactBytes) {
          throw failed(expectedBytesError(exactBytes, bytes, false));
        }
        yield next.value;
      }
    } finally {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      // A source left mid-way (failure, abort, or the consumer stopped) is released; not awaited,
      // since a stalled source may never settle.
      if (!finished) chunks.return?.(undefined).catch(() => {});
    }
  }

  return { chunks: read(), bytes: () => bytes, failure: () => failure?.error };
}

function abortError(signal: AbortSignal): PlaytallyError {
  return new PlaytallyError('ABORTED', 'Blob upload was aborted', { cause: signal.reason });
}
