/**
 * `POST /leads`: a lead as JSON (forms, Zapier, a Salesforce Flow callout). The body is a Lead
 * (src/routing/lead.ts), validated at the edge. The dedupe key is the Idempotency-Key header when
 * given, otherwise a hash of the body, so an identical retry never creates a second lead.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { LeadSchema, type Lead, type LeadCrmRef } from '../routing/lead.ts';
import { SwitchboardError } from '../errors.ts';

export interface JsonLeadIntake {
  dedupeKey: string;
  ref: LeadCrmRef;
  lead: Lead;
}

export function parseJsonLead(body: unknown, idempotencyKey: string | undefined): JsonLeadIntake {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SwitchboardError('LEAD.INVALID', 'The body must be one JSON object (a lead).', 400);
  }
  const res = LeadSchema.safeParse(body);
  if (!res.success) {
    throw new SwitchboardError(
      'LEAD.INVALID',
      `The lead is invalid: ${res.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
      400,
      { issues: z.treeifyError(res.error) },
    );
  }
  const { id: _ignored, ...lead } = res.data;
  if (
    idempotencyKey !== undefined &&
    (idempotencyKey.length === 0 || idempotencyKey.length > 200)
  ) {
    throw new SwitchboardError(
      'LEAD.BAD_IDEMPOTENCY_KEY',
      'Idempotency-Key must be 1 to 200 characters.',
      400,
    );
  }
  const dedupeKey =
    idempotencyKey !== undefined
      ? `key:${idempotencyKey}`
      : `sha256:${crypto.createHash('sha256').update(JSON.stringify(res.data)).digest('hex')}`;
  // A lead that names its CRM record is that record; otherwise the delivery is its identity.
  const ref: LeadCrmRef = lead.crm ?? { system: 'json', object: 'lead', id: dedupeKey };
  return { dedupeKey, ref, lead };
}
