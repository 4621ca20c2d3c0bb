import { randomUUID } from 'node:crypto';
import { PlaytallyError } from '@playtally/core';

/** Prefix of keys when `put` names none. */
export const DEFAULT_BLOB_PREFIX = 'blobs';

const PREFIX = /^[A-Za-z0-9-]{1,64}$/;
const KEY =
  /^([A-Za-z0-9-]{1,64})\/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/;

/** The parts of a blob key: `<prefix>/<id>`. */
export interface BlobKeyParts {
  /** Letters, digits and `-`, 1 to 64 of them. */
  readonly prefix: string;
  /** A random (version 4) UUID in lower case. */
  readonly id: string;
}

/**
 * A fresh blob key `<prefix>/<uuid>`, the only form of key a {@link BlobStore} hands out.
 * Rejects with `INVALID_INPUT` when `prefix` is not 1-64 letters, digits or `-`, so a key can
 * never hold `/`, `..` or anything a filesystem or an object store would read as structure.
 *
 * @example
 * ```ts
 * import { newBlobKey } from '@playtally/service';
 * newBlobKey('uploads').key; // 'uploads/3b241101-e2bb-4255-8caf-4136c566a962'
 * ```
 */
export function newBlobKey(prefix: string = DEFAULT_BLOB_PREFIX): BlobKeyParts & { key: string } {
  checkBlobPrefix(prefix);
  const id = randomUUID();
  return { key: `${prefix}/${id}`, prefix, id };
}

/**
 * Throws `INVALID_INPUT` unless `prefix` is 1-64 letters, digits or `-`: the prefixes keys are
 * made with (see {@link newBlobKey}), which a store may use as a folder or key prefix.
 */
export function checkBlobPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `Blob prefix "${prefix}" must be 1-64 letters, digits or "-"`,
      { details: { prefix } },
    );
  }
}

/**
 * The prefix and id of a key of the `<prefix>/<uuid>` form, or `undefined` for any other string
 * (`../etc/passwd`, an absolute path, a temporary name): stores treat those as unknown keys, so
 * no string a client sends can reach a file or object the store did not create.
 *
 * @example
 * ```ts
 * import { parseBlobKey } from '@playtally/service';
 * parseBlobKey('uploads/3b241101-e2bb-4255-8caf-4136c566a962'); // { prefix: 'uploads', id: '3b24…' }
 * parseBlobKey('../secret'); // undefined
 * ```
 */
export function parseBlobKey(key: string): BlobKeyParts | undefined {
  const match = KEY.exec(key);
  return match === null ? undefined : { prefix: match[1] as string, id: match[2] as string };
}
