import { PlaytallyError } from '@playtally/core';
import { z } from 'zod';

/** A JSON object as a message carries it. */
export type MessageData = Record<string, unknown>;

/** Any JSON object: what a message of a type without a registered schema must be. */
export const anyJsonObject: z.ZodType<MessageData> = z.record(z.string(), z.unknown(), {
  error: (issue) => `a message must be a JSON object, not ${describeJson(issue.input)}`,
});

/** `an array`, `a string`, `null`: what a JSON value is, for messages. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** One problem zod found, as the API reports it. */
export interface MessageIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

/**
 * Schemas per message `type`. A message whose type has a schema must satisfy it (and is stored
 * as the schema outputs it, so transforms and defaults apply); any other message must be a JSON
 * object.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { createMessageSchemaRegistry } from '@playtally/core';
 * const schemas = createMessageSchemaRegistry()
 *   .register('greeting', z.object({ name: z.string().min(1) }));
 * schemas.validate('greeting', { name: 'Ada' }); // { name: 'Ada' }
 * ```
 */
export interface MessageSchemaRegistry {
  /** Registers (or replaces) the schema for `type`; returns the registry for chaining. */
  register<T extends MessageData>(type: string, schema: z.ZodType<T>): MessageSchemaRegistry;
  /** The schema messages of `type` must satisfy: the registered one or {@link anyJsonObject}. */
  schemaFor(type: string): z.ZodType<MessageData>;
  /** Registered types, in registration order. */
  types(): readonly string[];
  /**
   * The data as the type's schema outputs it. Throws `VALIDATION_FAILED` whose details hold
   * `{ type, issues }` (each issue: path, message, code).
   */
  validate(type: string, data: unknown): MessageData;
}

/** Creates an empty {@link MessageSchemaRegistry}: every type accepts any JSON object. */
export function createMessageSchemaRegistry(): MessageSchemaRegistry {
  const schemas = new Map<string, z.ZodType<MessageData>>();
  const registry: MessageSchemaRegistry = {
    register(type, schema) {
      schemas.set(type, schema);
      return registry;
    },
    schemaFor: (type) => schemas.get(type) ?? anyJsonObject,
    types: () => [...schemas.keys()],
    validate(type, data) {
      const result = registry.schemaFor(type).safeParse(data);
      if (result.success) return result.data;
      const issues: MessageIssue[] = result.error.issues.map((issue) => ({
        path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
        message: issue.message,
        code: issue.code,
      }));
      const summary = issues
        .slice(0, 3)
        .map((issue) =>
          issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
        )
        .join('; ');
      throw new PlaytallyError(
        'VALIDATION_FAILED',
        `message of type "${type}" is invalid: ${summary}`,
        { details: { type, issues } },
      );
    },
  };
  return registry;
}

/**
 * Registers `schema` for messages of `type` in `registry`; the same as `registry.register`.
 */
export function registerMessageSchema<T extends MessageData>(
  registry: MessageSchemaRegistry,
  type: string,
  schema: z.ZodType<T>,
): MessageSchemaRegistry {
  return registry.register(type, schema);
}
