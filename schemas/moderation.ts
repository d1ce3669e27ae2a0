/**
 * An administrator's moderation of an app (issue 16 §2): unlist it (off the shelf; its owner
 * may list it again) or take it down (off the shelf until an administrator restores it), each
 * with a reason the owner is shown; restore lifts either.
 */
import { z } from 'zod';

export const MODERATION_REASON_MAX = 500;

export const ModerationRequest = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.enum(['unlist', 'takedown']),
    reason: z
      .string()
      .trim()
      .min(1, 'give the owner a reason')
      .max(MODERATION_REASON_MAX, `at most ${MODERATION_REASON_MAX} characters`),
  }),
  z.strictObject({ action: z.literal('restore') }),
]);
export type ModerationRequest = z.infer<typeof ModerationRequest>;

/** What the app's JSON says of its moderation (null: none in force). */
export const Moderation = z
  .object({
    state: z.enum(['unlisted', 'taken_down']),
    reason: z.string(),
    at: z.string().describe('ISO 8601'),
  })
  .nullable();
export type Moderation = z.infer<typeof Moderation>;
