import { z } from '@hono/zod-openapi';

const LIMIT_RULE = 'must be a whole number from 1 to 500';

/**
 * `?limit&cursor` of every list route (and `apiKey`, which clients that can set no header send).
 * Any other parameter is refused rather than silently ignored: a filter the list does not have
 * must not look as if it worked.
 */
export const PageQuerySchema = z.strictObject(
  {
    limit: z.coerce
      // Coercion leaves NaN of a word: say the rule without echoing it.
      .number({ error: LIMIT_RULE })
      .int({ error: (issue) => `${LIMIT_RULE}, got ${String(issue.input)}` })
      .min(1, { error: (issue) => `${LIMIT_RULE}, got ${String(issue.input)}` })
      .max(500, { error: (issue) => `${LIMIT_RULE}, got ${String(issue.input)}` })
      .optional()
      .openapi({ description: 'Items per page (1-500).', example: 50 }),
    cursor: z
      .string()
      .max(1000, { error: 'must be the nextCursor of a previous page, passed unchanged' })
      .optional()
      .openapi({ description: 'The `nextCursor` of the previous page.' }),
    apiKey: z
      .string()
      .optional()
      .openapi({ description: 'The API key, for clients that cannot send a header.' }),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `this list takes only limit and cursor, not ${issue.keys.map((key) => `"${key}"`).join(', ')}`
        : undefined,
  },
);

/** A page of `item`, newest first. */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
    })
    .openapi(name);
}
