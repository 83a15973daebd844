/**
 * `fallback:` of a lead type: checkpoints with engagement conditions and actions (PRODUCT.md's
 * sketch). Validation of references and resolution to due instants are in fallback-plan.ts;
 * executing a checkpoint is src/fallback's job.
 *
 * Exports
 * - `EngagementConditionSchema`: `{ touched?, opened?, replied?, meeting_booked? }` (booleans; all
 *   given keys must hold).
 * - `FallbackActionSchema`: one of `{ reassign: backup|senior|manager|{pool}|{handler} }`,
 *   `{ task: { channel, subject?, body? } }`, `{ escalate: <handler id> | { to?, note?, notify? } }`,
 *   `{ reenrich: true }`, `{ nurture: true }` — the `FallbackAction` type of decision.ts.
 * - `FallbackCheckpointSchema`: `{ id?, after: duration, when?, then?, branches?: [{ when?, then }] }`
 *   — either `then` (with an optional `when`) or `branches`, not both.
 * - `FallbackSchema`: a list of checkpoints.
 */
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { CHANNELS } from './first-touch-schema.ts';

export const ENGAGEMENT_KEYS = ['touched', 'opened', 'replied', 'meeting_booked'] as const;

export const EngagementConditionSchema = z
  .object({
    touched: z.boolean().optional(),
    opened: z.boolean().optional(),
    replied: z.boolean().optional(),
    meeting_booked: z.boolean().optional(),
  })
  .strict();

export const BusinessDurationSchema = z.string().refine((s) => parseDuration(s) !== null, {
  message: 'expected a duration such as 10m, 4h, 2d or 1w',
});

export const FallbackActionSchema = z.union([
  z
    .object({
      reassign: z.union([
        z.enum(['backup', 'senior', 'manager']),
        z.object({ pool: z.string() }).strict(),
        z.object({ handler: z.string() }).strict(),
      ]),
    })
    .strict(),
  z
    .object({
      task: z
        .object({
          channel: z.enum(CHANNELS),
          subject: z.string().optional(),
          body: z.string().optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      escalate: z.union([
        z.string(),
        z
          .object({
            to: z.string().optional(),
            note: z.string().optional(),
            notify: z.string().optional(),
          })
          .strict(),
      ]),
    })
    .strict(),
  z.object({ reenrich: z.literal(true) }).strict(),
  z.object({ nurture: z.literal(true) }).strict(),
]);

export const FallbackBranchSchema = z
  .object({
    when: EngagementConditionSchema.optional(),
    then: z.array(FallbackActionSchema).min(1),
  })
  .strict();

export const FallbackCheckpointSchema = z
  .object({
    id: z.string().optional(),
    after: BusinessDurationSchema,
    when: EngagementConditionSchema.optional(),
    then: z.array(FallbackActionSchema).min(1).optional(),
    branches: z.array(FallbackBranchSchema).min(1).optional(),
  })
  .strict()
  .superRefine((cp, ctx) => {
    if (cp.branches && (cp.then || cp.when))
      ctx.addIssue({
        code: 'custom',
        path: ['branches'],
        message: 'use either `when` + `then` or `branches`, not both',
      });
    if (!cp.branches && !cp.then)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a checkpoint needs `then: [actions]` or `branches: [{ when, then }]`',
      });
  });

export const FallbackSchema = z.array(FallbackCheckpointSchema);

export type EngagementCondition = z.infer<typeof EngagementConditionSchema>;
export type FallbackActionConfig = z.infer<typeof FallbackActionSchema>;
export type FallbackCheckpointConfig = z.infer<typeof FallbackCheckpointSchema>;
