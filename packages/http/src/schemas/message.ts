import { z } from '@hono/zod-openapi';

/** A message's id in a path. */
export const MessageIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({
      param: { name: 'id', in: 'path' },
      example: '7d1c9a2e-5b3f-4c6d-8e9f-0a1b2c3d4e5f',
    }),
});

/** A stored message as the API shows it. */
export const MessageSchema = z
  .object({
    id: z.string(),
    type: z.string().openapi({ example: 'message' }),
    source: z.string().openapi({ example: '/playtally/api' }),
    data: z.record(z.string(), z.unknown()).openapi({ example: { hello: 'world' } }),
    status: z.enum(['received', 'consumed']),
    receivedAt: z.string(),
    consumedAt: z.string().nullable(),
  })
  .openapi('Message');

/** `?type` of `POST /v1/messages`. */
export const PostMessageQuerySchema = z.object({
  type: z.string().optional().openapi({
    description:
      'Selects the registered schema the body must satisfy (also read from the `ce-type` header). Default `message`: any JSON object.',
  }),
});

/** The body of `POST /v1/messages`, for the documentation. */
export const MessageBodySchema = z
  .record(z.string(), z.unknown())
  .openapi('MessageBody', { example: { hello: 'world' } });
