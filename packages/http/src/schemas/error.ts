import { z } from '@hono/zod-openapi';

/** The body of every error answer: `{ error: { code, message, details } }`. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'NOT_FOUND' }),
      message: z.string().openapi({ example: 'job 0b6f… not found' }),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  })
  .openapi('Error');

/** The OpenAPI description of an error answer with `description`. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: ErrorSchema } } } as const;
}
