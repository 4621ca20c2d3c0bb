import { PlaytallyError } from '@playtally/service';

/** Nesting deeper than this is refused: {@link parseJsonBody}. */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses a JSON request body strictly, refusing with `VALIDATION_FAILED` (400) rather than
 * storing something other than what the client sent, or failing later deep in the stack:
 * - bytes that are not UTF-8 (they would silently become U+FFFD);
 * - nesting deeper than `maxDepth` arrays and objects (it would overflow the stack later);
 * - numbers that are not finite doubles, such as `1e999999` (they would be stored as `null`);
 * - keys named `__proto__` (JavaScript objects would drop them silently).
 */
export function parseJsonBody(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalid('the body is not valid UTF-8', 'invalid_utf8');
  }
  const depth = nestingDepth(text);
  if (depth > maxDepth) {
    throw invalid(
      `the JSON nests ${depth} levels deep; at most ${maxDepth} are allowed`,
      'too_deep',
    );
  }
  // Only a text that could hold a refused value pays for the reviver: a `__proto__` key, or a
  // number too large for a double (an exponent of three digits or more, or 309+ digits).
  if (!SUSPECT.test(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw invalid(`the body is not valid JSON: ${reason}`, 'invalid_json');
    }
  }
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') {
        throw new RefusedValue('a key named "__proto__" is not accepted', 'forbidden_key');
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new RefusedValue(
          'a number is too large to represent (not a finite double)',
          'non_finite_number',
        );
      }
      return value;
    });
  } catch (error) {
    if (error instanceof RefusedValue) throw invalid(error.message, error.code);
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(`the body is not valid JSON: ${reason}`, 'invalid_json');
  }
}

const SUSPECT = /__proto__|[eE][+]?\d{3}|\d{309}/;

class RefusedValue extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The deepest nesting of `[` and `{` outside strings: one pass, no recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (code === 0x5d || code === 0x7d) depth -= 1;
  }
  return deepest;
}

function invalid(message: string, code: string): PlaytallyError {
  return new PlaytallyError('VALIDATION_FAILED', message, {
    details: { issues: [{ path: [], message, code }] },
  });
}
