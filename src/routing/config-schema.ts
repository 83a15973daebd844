/**
 * The shape of config/routing.yaml (version 1), as zod 4 strict objects: a misspelt key is an
 * error with a did-you-mean, never silently ignored. Sections about people and time (handlers,
 * calendars, pools, first touch, fallback) come from their own modules; this file composes them.
 * The JSON Schema for editors (`schema/routing.schema.json`) is generated from this schema by
 * `npm run schema`.
 *
 * Cross-references (a handler named by a type, a problem named in a condition) and conditions
 * themselves are checked after the shape, in parse-config.ts, so that every error carries a
 * precise position and a suggestion.
 */
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { ConditionSchema } from './conditions.ts';

import { CalendarSchema, HolidayListsSchema } from './calendar.ts';
import { HandlerSchema } from './handler-schema.ts';
import { PoolSchema } from './pool-schema.ts';
import { FirstTouchSchema } from './first-touch-schema.ts';
import { FallbackSchema } from './fallback-schema.ts';

/** Ids of handlers, pools, types…: lower-case words, so they read well in traces and URLs. */
export const IdSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]*$/,
    'ids are lower-case letters, digits, "_" or "-", starting with a letter',
  );

export const DurationSchema = z
  .string()
  .refine((s) => parseDuration(s) !== null, {
    message: 'expected a duration such as 90s, 10m, 4h, 2d or 1w',
  })
  .meta({
    description: 'A duration: a number and a unit s, m, h, d or w (10m, 4h, 2d).',
    pattern: '^\\d+(\\.\\d+)?\\s*(s|m|h|d|w)$',
  });

export const CatalogEntrySchema = z
  .object({
    id: IdSchema,
    title: z.string().min(1),
    url: z.string().optional(),
    summary: z.string().optional(),
    when: ConditionSchema.optional().describe(
      'When this entry fits the lead; first match in file order wins.',
    ),
    default: z
      .literal(true)
      .optional()
      .describe('The entry used when no other matches (same as `when: always`).'),
  })
  .strict();

export const LeadTypeSchema = z
  .object({
    id: IdSchema,
    description: z.string().optional(),
    when: ConditionSchema,
    handler: z.string().optional().describe('The named handler (a key of `handlers`).'),
    backup: z
      .string()
      .optional()
      .describe('The named backup when the handler is unavailable (a key of `handlers`).'),
    pool: z
      .string()
      .optional()
      .describe('A pool (a key of `pools`) for volume types, or after handler and backup.'),
    account_owner_wins: z
      .boolean()
      .optional()
      .describe(
        "When the lead's account already has an owner who is available, that owner gets the lead.",
      ),
    calendar: z
      .string()
      .optional()
      .describe(
        "Calendar the SLA is counted on (a key of `calendars`); default: the assignee's calendar.",
      ),
    sla: DurationSchema.describe('Time to first touch, in business time on the calendar.'),
    target: z
      .boolean()
      .optional()
      .describe(
        'A strategic / target-account type: validate warns when its SLA exceeds 30 business minutes.',
      ),
    first_touch: FirstTouchSchema.optional(),
    fallback: FallbackSchema.optional(),
  })
  .strict();

/** Sections that live outside the pure core and are plugged in by the caller (see config-file.ts). */
export interface SchemaExtensions {
  crm_mapping?: z.ZodType;
}

export function buildRoutingConfigSchema(ext: SchemaExtensions = {}) {
  return z
    .object({
      version: z.literal(1),
      reviewed_on: z.iso.date().describe('Date of the last review of this file (YYYY-MM-DD).'),
      review_every: DurationSchema.describe(
        'How often the file must be reviewed; validate warns when reviewed_on is older.',
      ),
      catch_all: z
        .string()
        .describe('Handler id of the owner of last resort, when the whole chain is unavailable.'),
      holiday_lists: HolidayListsSchema.optional(),
      calendars: z.record(IdSchema, CalendarSchema),
      handlers: z.record(IdSchema, HandlerSchema),
      pools: z.record(IdSchema, PoolSchema).optional(),
      problems: z
        .record(z.string().min(1), z.array(z.string().min(1)).min(1))
        .optional()
        .describe("Stated problems: name → keywords/phrases looked for in the lead's message."),
      product_lines: z.array(CatalogEntrySchema).optional(),
      case_studies: z.array(CatalogEntrySchema).optional(),
      crm_mapping: (ext.crm_mapping ?? z.record(z.string(), z.unknown())).optional(),
      lead_types: z.array(LeadTypeSchema).min(1),
    })
    .strict();
}

export const RoutingConfigSchema = buildRoutingConfigSchema();

/** routing.yaml as written, after the shape check (conditions still as YAML values). */
export type RoutingConfigData = z.infer<typeof RoutingConfigSchema>;
export type LeadTypeData = z.infer<typeof LeadTypeSchema>;
export type CatalogEntryData = z.infer<typeof CatalogEntrySchema>;
