import type { ByteSource } from '@playtally/core';

/**
 * One async iterator over any {@link ByteSource} form: a Node readable or a web
 * `ReadableStream` (both async iterable on Node 20), an async iterable, or a sync iterable of
 * byte chunks. String chunks (a readable with an encoding set) are encoded as UTF-8.
 * `return()` releases the source (destroys a Node stream, cancels a web stream).
 */
export function byteSourceChunks(source: ByteSource): AsyncIterator<Uint8Array> {
  if (isAsyncIterable(source)) return mapChunks(source[Symbol.asyncIterator]());
  if (isWebReadable(source)) return readerChunks(source.getReader());
  if (isIterable(source)) return mapChunks(toAsync(source[Symbol.iterator]()));
  throw new TypeError('Expected a Node readable, a ReadableStream or an iterable of byte chunks');
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isWebReadable(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof (value as ReadableStream).getReader === 'function';
}

function isIterable(value: unknown): value is Iterable<Uint8Array> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function toChunk(value: Uint8Array | string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`Expected byte chunks (Uint8Array), got ${typeof value}`);
}

function mapChunks(inner: AsyncIterator<Uint8Array | string>): AsyncIterator<Uint8Array> {
  return {
    async next() {
      const result = await inner.next();
      return result.done ? { done: true, value: undefined } : { value: toChunk(result.value) };
    },
    async return() {
      await inner.return?.();
      return { done: true, value: undefined };
    },
  };
}

function toAsync(inner: Iterator<Uint8Array>): AsyncIterator<Uint8Array> {
  return {
    async next() {
      return inner.next();
    },
    async return() {
      inner.return?.();
      return { done: true, value: undefined };
    },
  };
}

function readerChunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterator<Uint8Array> {
  return {
    async next() {
      const result = await reader.read();
      return result.done ? { done: true, value: undefined } : { value: toChunk(result.value) };
    },
    async return() {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}
