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

/** The headers `POST /v1/messages` reads, for the documentation. */
export const PostMessageHeadersSchema = z.object({
  'ce-id': z.string().optional().openapi({
    description:
      "CloudEvents binary mode: the event's id, kept; the same id from the same `ce-source` returns the stored message.",
  }),
  'ce-source': z.string().optional().openapi({ description: 'Who sent it (URI reference).' }),
  'ce-type': z.string().optional().openapi({ description: 'The message type.' }),
  'ce-time': z.string().optional().openapi({ description: 'RFC 3339 time, kept on the event.' }),
  'idempotency-key': z.string().optional().openapi({
    description:
      'The same key with the same message returns the stored message; with another message, 422.',
  }),
});

/** The body of `POST /v1/messages`, for the documentation. */
export const MessageBodySchema = z
  .record(z.string(), z.unknown())
  .openapi('MessageBody', { example: { hello: 'world' } });

/** One event in the CloudEvents JSON format, as structured and batched mode post it. */
export const StructuredEventSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.string().min(1),
    time: z.string().optional().openapi({ description: 'RFC 3339, kept on the event.' }),
    datacontenttype: z.string().optional().openapi({ description: 'A JSON media type.' }),
    data: z.record(z.string(), z.unknown()),
  })
  .catchall(z.unknown())
  .openapi('StructuredCloudEvent', {
    example: {
      specversion: '1.0',
      id: 'A234',
      source: 'urn:sensor:7',
      type: 'reading',
      data: { v: 1 },
    },
  });
