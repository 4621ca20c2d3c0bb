import { z } from '@hono/zod-openapi';

/** `?limit&cursor` of every list route. */
export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: 'Items per page (1-500).', example: 50 }),
  cursor: z
    .string()
    .max(1000)
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page.' }),
});

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
