import { z } from 'zod';

/** The message `type` footage is posted under: `POST /v1/messages?type=footage`. */
export const FOOTAGE_MESSAGE_TYPE = 'footage';

/** Predictions less likely than this gain {@link LOW_PROB_TAG}. */
export const LOW_PROB_THRESHOLD = 0.25;

/** The tag a prediction below {@link LOW_PROB_THRESHOLD} gains. */
export const LOW_PROB_TAG = 'low_prob';

// Tags are joined with ';' in one CSV field, so a tag holding ';' (or an empty tag) could not be
// told apart from two tags when the file is read back: refuse it rather than write an ambiguity.
const tagSchema = z
  .string()
  .min(1, 'a tag must not be empty')
  .refine((tag) => !tag.includes(';'), { message: "a tag must not contain ';'" });

/** One prediction as a producer sends it. */
const predictionInputSchema = z.object({
  image_frame: z.string().min(1),
  prob: z.number().min(0).max(1),
  tags: z.array(tagSchema).nullable(),
});

/**
 * One prediction as stored and consumed: below {@link LOW_PROB_THRESHOLD} its tags include
 * {@link LOW_PROB_TAG} (added once; `null` tags become `['low_prob']`). Applying the schema to
 * its own output changes nothing, so the consumer can parse what the API stored again.
 */
export const predictionSchema = predictionInputSchema.transform((prediction) => {
  const tags = prediction.tags;
  if (prediction.prob >= LOW_PROB_THRESHOLD || tags?.includes(LOW_PROB_TAG)) return prediction;
  return { ...prediction, tags: [...(tags ?? []), LOW_PROB_TAG] };
});

/**
 * A camera-footage message: which device and client sent it, when, under which license, and
 * what the model predicted per image frame. Unknown fields are dropped.
 *
 * @example
 * ```ts
 * footageMessageSchema.parse({
 *   device_id: 'cam-7', client_id: 42, created_at: '2024-05-01T12:00:00Z',
 *   data: { license_id: 9, preds: [{ image_frame: 'frame-0001.jpg', prob: 0.1, tags: null }] },
 * }).data.preds[0]?.tags; // ['low_prob']
 * ```
 */
export const footageMessageSchema = z.object({
  device_id: z.string().min(1),
  client_id: z.int(),
  created_at: z.iso.datetime({ offset: true }),
  data: z.object({
    license_id: z.int(),
    preds: z.array(predictionSchema),
  }),
});

/** A footage message as a producer sends it (before the `low_prob` tagging). */
export type FootageMessageInput = z.input<typeof footageMessageSchema>;

/** A footage message after validation: tags carry `low_prob` where due. */
export type FootageMessage = z.output<typeof footageMessageSchema>;

/** One prediction after validation. */
export type FootagePrediction = FootageMessage['data']['preds'][number];
