/**
 * JSON schemas of the admin API, at the edge: they validate params and query strings, serialise
 * answers (fast-json-stringify drops anything not declared, so nothing leaks by accident) and are
 * what `/docs` publishes. Free-form stored documents (the lead, the decision, outcomes) are
 * declared as objects with additional properties.
 */
const str = { type: 'string' } as const;
const nstr = { type: 'string', nullable: true } as const;
const int = { type: 'integer' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nDateTime = { type: 'string', format: 'date-time', nullable: true } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;
const anything = {} as const;

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  additionalProperties: false,
  ...extra,
});

export const ErrorSchema = obj({
  error: obj(
    { code: str, message: str },
    { required: ['code', 'message'], additionalProperties: true },
  ),
});

export const errors = {
  400: { description: 'Bad id or query', ...ErrorSchema },
  401: { description: 'Missing or wrong admin token', ...ErrorSchema },
  403: { description: 'ADMIN_TOKEN is not set on the server', ...ErrorSchema },
} as const;
export const notFound = { 404: { description: 'No such item', ...ErrorSchema } } as const;

export const LeadIdParams = obj({ id: { type: 'string', pattern: '^[0-9]{1,18}$' } });
export const CrmIdParams = obj({ crmId: { type: 'string', minLength: 1, maxLength: 200 } });
export const CrmIdQuery = {
  type: 'object',
  properties: { system: { type: 'string', enum: ['hubspot', 'salesforce', 'json'] } },
  additionalProperties: false,
} as const;
export const LimitQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  additionalProperties: false,
} as const;

export const TimerSchema = obj({
  id: str,
  decisionId: str,
  checkpointId: str,
  status: str,
  runAt: dateTime,
  attempts: int,
  maxAttempts: int,
  lastError: nstr,
  firedAt: nDateTime,
  latenessMs: { type: 'integer', nullable: true },
  outcome: anything,
});

export const LeadDetailSchema = obj(
  {
    id: str,
    crm: obj({ system: str, object: str, id: str, tenant: str }),
    lead: anyObject,
    createdAt: dateTime,
    updatedAt: dateTime,
    status: { type: 'string', enum: ['pending', 'routed', 'failed'] },
    decision: { ...anyObject, nullable: true, description: 'The latest decision, trace included.' },
    explanation: { ...nstr, description: 'The latest decision in plain words (the CRM note).' },
    decisions: {
      type: 'array',
      items: obj({
        id: str,
        reason: str,
        leadType: str,
        handlerId: str,
        decidedAt: dateTime,
        configHash: str,
      }),
    },
    crmWrites: {
      type: 'array',
      items: obj({
        id: str,
        step: str,
        kind: str,
        crm: str,
        status: str,
        attempts: int,
        lastError: nstr,
        result: anything,
        doneAt: nDateTime,
      }),
    },
    events: {
      type: 'array',
      items: obj({
        id: str,
        source: str,
        kind: str,
        status: str,
        outcome: nstr,
        attempts: int,
        lastError: nstr,
        receivedAt: dateTime,
      }),
    },
    timers: { type: 'array', items: TimerSchema },
    fallbackEvents: {
      type: 'array',
      items: obj({ id: str, timerId: nstr, kind: str, data: anything, createdAt: dateTime }),
    },
  },
  {
    description: 'A lead with its decisions, trace, CRM writes, inbox events and fallback timers.',
  },
);

export const LeadByCrmIdSchema = {
  ...LeadDetailSchema,
  required: [...LeadDetailSchema.required, 'matches'],
  properties: {
    ...LeadDetailSchema.properties,
    matches: {
      type: 'array',
      items: str,
      description: 'All our lead ids with this CRM id (one per CRM tenant), most recent first.',
    },
  },
};

export const DecisionsSchema = obj({
  decisions: {
    type: 'array',
    items: obj({
      id: str,
      leadId: str,
      company: nstr,
      crm: obj({ system: str, id: str }),
      reason: str,
      leadType: str,
      handlerId: str,
      handlerName: str,
      via: str,
      decidedAt: dateTime,
      slaDueUtc: nDateTime,
      configHash: str,
      reasons: { type: 'array', items: str },
    }),
  },
});

export const SlasSchema = obj({
  now: dateTime,
  slas: {
    type: 'array',
    items: obj({
      leadId: str,
      decisionId: str,
      company: nstr,
      leadType: str,
      handlerId: str,
      handlerName: str,
      dueUtc: dateTime,
      timeLeftMs: { type: 'integer', description: 'Negative once overdue.' },
    }),
  },
});

export const ParkedSchema = obj({
  events: {
    type: 'array',
    items: obj({
      id: str,
      source: str,
      kind: str,
      attempts: int,
      lastError: nstr,
      leadId: nstr,
      receivedAt: dateTime,
    }),
  },
  crmWrites: {
    type: 'array',
    items: obj({
      id: str,
      leadId: str,
      decisionId: str,
      step: str,
      kind: str,
      crm: str,
      attempts: int,
      lastError: nstr,
      updatedAt: dateTime,
    }),
  },
  timers: {
    type: 'array',
    items: {
      ...TimerSchema,
      required: [...TimerSchema.required, 'leadId'],
      properties: { ...TimerSchema.properties, leadId: str },
    },
  },
});

export const RetriedSchema = obj({ retried: { type: 'boolean' } });

export const ReloadResultSchema = obj(
  {
    at: dateTime,
    trigger: { type: 'string', enum: ['start', 'sighup', 'file', 'api'] },
    result: { type: 'string', enum: ['applied', 'unchanged', 'rejected'] },
    hash: str,
    previousHash: str,
    /** Shadow mode only: the SHADOW_CONFIG hash after and before the attempt. */
    shadowHash: str,
    previousShadowHash: str,
    error: str,
  },
  { required: ['at', 'trigger', 'result', 'hash', 'previousHash'] },
);

export const ConfigSchema = obj(
  {
    hash: str,
    fileName: str,
    reviewedOn: str,
    reviewEvery: str,
    loadedAt: dateTime,
    warnings: { type: 'array', items: str },
    lastReload: { ...ReloadResultSchema, nullable: true },
    /** Shadow mode only (SHADOW_CONFIG): the shadow config in use. */
    shadowHash: str,
    shadowFileName: str,
  },
  {
    required: [
      'hash',
      'fileName',
      'reviewedOn',
      'reviewEvery',
      'loadedAt',
      'warnings',
      'lastReload',
    ],
  },
);
