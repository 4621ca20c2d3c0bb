import type { Readable } from 'node:stream';
import type { ByteSource } from './types.js';

/**
 * One async iterator of Buffers over any {@link ByteSource}: a Node readable or any async
 * iterable, a web `ReadableStream`, or a sync iterable. Uint8Array chunks are wrapped without
 * copying; string chunks (a readable with an encoding set) are encoded as UTF-8. `return()`
 * releases the source (destroys a Node stream, cancels a web stream). The engine reads its input
 * through it, and so do the blob stores.
 *
 * @example
 * ```ts
 * import { sourceChunks } from '@playtally/core';
 * const chunks = sourceChunks([new TextEncoder().encode('Song,Date,Number of Plays\n')]);
 * console.log((await chunks.next()).value?.toString());
 * ```
 */
export function sourceChunks(source: ByteSource): AsyncIterator<Buffer> {
  if (isNodeReadable(source)) return fromNodeReadable(source);
  if (isAsyncIterable(source)) return mapped(source[Symbol.asyncIterator]());
  if (isWebReadable(source)) return fromReader(source.getReader());
  if (isIterable(source)) return mapped(source[Symbol.iterator]());
  throw new TypeError('expected a Node readable, a ReadableStream or an iterable of byte chunks');
}

function isNodeReadable(value: unknown): value is Readable {
  const readable = value as Readable;
  return (
    typeof readable.destroy === 'function' &&
    typeof readable.on === 'function' &&
    isAsyncIterable(value)
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isWebReadable(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof (value as ReadableStream).getReader === 'function';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** The chunk as a Buffer, sharing its memory. */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`expected byte chunks (Uint8Array), got ${typeof chunk}`);
}

function mapped(inner: Iterator<unknown> | AsyncIterator<unknown>): AsyncIterator<Buffer> {
  return {
    async next() {
      const result = await inner.next();
      return result.done
        ? { done: true, value: undefined }
        : { done: false, value: toBuffer(result.value) };
    },
    async return() {
      await inner.return?.();
      return { done: true, value: undefined };
    },
  };
}

/**
 * A Node readable's own iterator cannot be returned while a read is pending (its `return()`
 * waits for that read, forever on a stalled stream), so release destroys the stream directly.
 */
function fromNodeReadable(readable: Readable): AsyncIterator<Buffer> {
  const inner = mapped(readable[Symbol.asyncIterator]());
  return {
    next: () => inner.next(),
    async return() {
      readable.destroy();
      return { done: true, value: undefined };
    },
  };
}

function fromReader(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterator<Buffer> {
  return {
    async next() {
      const result = await reader.read();
      return result.done
        ? { done: true, value: undefined }
        : { done: false, value: toBuffer(result.value) };
    },
    async return() {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}
