/**
 * `first_touch:` of a lead type: the first message as Liquid templates. Rendering is in
 * first-touch.ts.
 *
 * Exports
 * - `FirstTouchSchema` (strict): `{ channel?: email|call|linkedin|sms|video|other (default email),
 *   subject, body, priority?: high|medium|low (default high), defaults?: { "<path>": text } }`.
 *   `defaults` keys are template paths such as `problem`, `lead.first_name`, `case_study.title`:
 *   when that value is missing on a lead, the default text is used and `defaultsUsed` says so.
 * - `CHANNELS`, `FIRST_TOUCH_ROOTS` (the variables a template may use).
 */
import { z } from 'zod';

export const CHANNELS = ['email', 'call', 'linkedin', 'sms', 'video', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Top-level names a first-touch template can read; anything else is a validate error. */
export const FIRST_TOUCH_ROOTS = [
  'lead',
  'problem',
  'product_line',
  'case_study',
  'handler',
  'sla',
  'lead_type',
] as const;

export const FirstTouchSchema = z
  .object({
    channel: z.enum(CHANNELS).optional(),
    /** Liquid template, e.g. `{{ lead.company }} — {{ problem }}`. */
    subject: z.string(),
    /** Liquid template. */
    body: z.string(),
    priority: z.enum(['high', 'medium', 'low']).optional(),
    /** Path → text used when the value is missing: `{ problem: "your project" }`. */
    defaults: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type FirstTouchConfig = z.infer<typeof FirstTouchSchema>;
