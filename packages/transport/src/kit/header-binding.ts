/**
 * How a broker's protocol binding names CloudEvent attributes in binary content mode, for
 * {@link readHeaders}.
 */
export interface HeaderBinding {
  /** Prefixes of attribute headers, matched case-insensitively: `ce_`, `cloudEvents_`. */
  readonly prefixes: readonly string[];
  /** The header that carries `datacontenttype` (Kafka's `content-type`), matched case-insensitively. */
  readonly contentType?: string;
  /** Headers the adapter reads for itself (attempt, key): neither attributes nor foreign. */
  readonly internal?: readonly string[];
}

/** What {@link readHeaders} found. */
export interface ReadHeaders {
  /** CloudEvent attributes, names lower-cased and values as text (see {@link attributeText}). */
  readonly attributes: Record<string, string>;
  /** Every other header, as the client read it; `undefined` when there is none. */
  readonly foreign: Record<string, unknown> | undefined;
}

/**
 * Splits a received message's headers into CloudEvent attributes and foreign headers, the same
 * way on every broker: a header named with one of the binding's prefixes is an attribute
 * (`ce_time` → `time`), and so is the content-type header; the binding's internal headers are
 * skipped; anything else (another program's `traceid`) is kept as it is, so that a dead letter
 * can carry it. A repeated header (an array) counts with its last value.
 */
export function readHeaders(
  headers: Readonly<Record<string, unknown>>,
  binding: HeaderBinding,
): ReadHeaders {
  const attributes: Record<string, string> = {};
  let foreign: Record<string, unknown> | undefined;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined || raw === null || binding.internal?.includes(name)) continue;
    const attribute = attributeName(name, binding);
    if (attribute === undefined) {
      foreign ??= Object.create(null) as Record<string, unknown>;
      foreign[name] = raw;
      continue;
    }
    const text = attributeText(Array.isArray(raw) ? raw[raw.length - 1] : raw);
    if (text !== undefined) attributes[attribute] = text;
  }
  return { attributes, foreign };
}

function attributeName(name: string, binding: HeaderBinding): string | undefined {
  const lower = name.toLowerCase();
  if (lower === binding.contentType) return 'datacontenttype';
  for (const prefix of binding.prefixes) {
    if (lower.length > prefix.length && lower.startsWith(prefix.toLowerCase()))
      return lower.slice(prefix.length);
  }
  return undefined;
}

/**
 * An attribute's value as CloudEvents text, whatever native type the broker client decoded:
 * bytes as UTF-8, a `Date` and an AMQP 0-9-1 timestamp (amqplib's `{ '!': 'timestamp', value }`,
 * seconds since the epoch) as RFC 3339, numbers and booleans as their canonical strings. The
 * AMQP binding says receivers must accept native types as well as strings.
 */
export function attributeText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const typed = value as { '!'?: unknown; value?: unknown };
    if (typed['!'] === 'timestamp' && typeof typed.value === 'number')
      return new Date(typed.value * 1000).toISOString();
    if (typed['!'] !== undefined) return attributeText(typed.value);
    return JSON.stringify(value);
  }
  return String(value);
}
