/**
 * The shape of a routing fixture file (`examples/fixtures/*.yaml`): a list of cases, each a lead
 * (a JSON file path relative to the fixture file, or inline), an optional clock and what the
 * decision must say. Strict, like routing.yaml: a misspelt expectation must fail loudly instead of
 * silently checking nothing.
 */
import { z } from 'zod';

const instant = z.iso.datetime({ offset: true });

export const FixtureExpectSchema = z
  .object({
    /** Lead type id. */
    type: z.string().optional(),
    /** Handler id of the assignee. */
    handler: z.string().optional(),
    /** How the assignee was reached: handler, backup, pool, catch_all, account_owner. */
    via: z.enum(['handler', 'backup', 'pool', 'catch_all', 'account_owner']).optional(),
    /** Pool id when the assignee came from a pool. */
    pool: z.string().optional(),
    /** Backup handler id, or null for "no backup". */
    backup: z.string().nullable().optional(),
    /** SLA due instant (any offset; compared as instants), or null for "no SLA". */
    sla_due: instant.nullable().optional(),
    /** Stated problem, or null for "none found". */
    problem: z.string().nullable().optional(),
    /** Case study id picked for the first touch. */
    case_study: z.string().optional(),
    /** Product line id picked for the first touch. */
    product_line: z.string().optional(),
    /** First-touch channel. */
    channel: z.string().optional(),
  })
  .strict();

export const FixtureSchema = z
  .object({
    name: z.string().min(1),
    /** Path of a lead JSON file (relative to the fixture file) or the lead itself. */
    lead: z.union([z.string(), z.record(z.string(), z.unknown())]),
    /** Fields laid over the lead (deep merge), for "the same lead, but 180 employees". */
    with: z.record(z.string(), z.unknown()).optional(),
    /** Decision time; default the lead's created_at. */
    at: instant.optional(),
    expect: FixtureExpectSchema,
  })
  .strict();

export const FixtureFileSchema = z.array(FixtureSchema);

export type FixtureExpect = z.infer<typeof FixtureExpectSchema>;
export type FixtureData = z.infer<typeof FixtureSchema>;
export type ExpectKey = keyof FixtureExpect;
