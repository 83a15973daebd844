/**
 * What each `crm_writes.kind` carries in `payload`, checked before any CRM call so a malformed row
 * parks with a readable message instead of failing inside an adapter.
 */
import { z } from 'zod';
import { LeadCrmRefSchema, type LeadCrmRef } from '../routing/lead.ts';
import type { RoutingWrite, TaskWrite } from '../adapters/crm-port.ts';

const TaskWriteSchema = z.object({
  subject: z.string(),
  body: z.string(),
  dueUtc: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO instant'),
  channel: z.string(),
  priority: z.enum(['high', 'medium', 'low']),
  ownerId: z.string().min(1),
});

const RoutingWriteSchema = z.object({
  key: z.string().min(1),
  lead: LeadCrmRefSchema,
  ownerId: z.string().min(1),
  task: TaskWriteSchema.nullable(),
  note: z.string().nullable(),
});

export type OutboxWrite =
  | { kind: 'routing'; write: RoutingWrite }
  | { kind: 'assign_owner'; lead: LeadCrmRef; ownerId: string }
  | { kind: 'task'; lead: LeadCrmRef; task: TaskWrite }
  | { kind: 'note'; lead: LeadCrmRef; body: string; ownerId?: string }
  /** An escalation message (Slack incoming webhook or any URL taking `{ "text": … }`). */
  | { kind: 'notify'; url: string; text: string };

const schemas = {
  routing: RoutingWriteSchema,
  assign_owner: z.object({ lead: LeadCrmRefSchema, ownerId: z.string().min(1) }),
  task: z.object({ lead: LeadCrmRefSchema, task: TaskWriteSchema }),
  note: z.object({ lead: LeadCrmRefSchema, body: z.string(), ownerId: z.string().optional() }),
  notify: z.object({
    url: z
      .string()
      .refine((u) => /^https?:\/\//.test(u) && URL.canParse(u), 'must be an http(s) URL'),
    text: z.string(),
  }),
} as const;

/** Parses one row's payload; an Error says what is wrong with it. */
export function parseOutboxPayload(kind: string, payload: unknown): OutboxWrite | Error {
  const schema = schemas[kind as keyof typeof schemas];
  if (!schema) {
    return new Error(
      `unknown crm_writes kind "${kind}" (expected routing, assign_owner, task, note or notify)`,
    );
  }
  const p = typeof payload === 'string' ? safeJson(payload) : payload;
  const res = schema.safeParse(p);
  if (!res.success) {
    return new Error(`bad ${kind} payload: ${z.prettifyError(res.error).replace(/\n/g, '; ')}`);
  }
  if (kind === 'routing') return { kind: 'routing', write: res.data as RoutingWrite };
  return { kind, ...(res.data as object) } as OutboxWrite;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
