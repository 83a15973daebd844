/**
 * The JSON Schema of routing.yaml, generated from the zod schema (with the crm_mapping section
 * plugged in), so editors and the loader can never disagree. Conditions get a hand-written
 * recursive definition: the loader checks them in code (parseCondition) for better messages, but
 * editors still deserve completion for `all` / `any` / `not` and the operators.
 */
import { z } from 'zod';
import { CONFIG_EXTENSIONS } from './config-file.ts';
import { OPERATORS } from './routing/conditions.ts';
import { buildRoutingConfigSchema } from './routing/config-schema.ts';

const scalar = { type: ['string', 'number', 'boolean'] };
const conditionDef = {
  description:
    'A condition: `always`, `{ all: [...] }`, `{ any: [...] }`, `{ not: ... }`, or a map of field path → value (equals), list (in) or { operator: value }. Several keys must all hold. See docs/routing.md.',
  anyOf: [
    { const: 'always' },
    {
      type: 'object',
      minProperties: 1,
      properties: {
        all: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' } },
        any: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' } },
        not: { $ref: '#/$defs/condition' },
      },
      additionalProperties: {
        anyOf: [
          scalar,
          { type: 'array', items: scalar, minItems: 1 },
          {
            type: 'object',
            minProperties: 1,
            additionalProperties: false,
            properties: Object.fromEntries(
              OPERATORS.map((op) => [
                op,
                op === 'exists'
                  ? { type: 'boolean' }
                  : op === 'matches'
                    ? { type: 'string', description: 'regular expression (case-insensitive)' }
                    : op === 'between'
                      ? { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 }
                      : ['gt', 'gte', 'lt', 'lte'].includes(op)
                        ? { type: 'number' }
                        : ['in', 'not_in', 'contains_any_word'].includes(op)
                          ? { type: 'array', items: scalar, minItems: 1 }
                          : scalar,
              ]),
            ),
          },
        ],
      },
    },
  ],
};

export function routingJsonSchema(): Record<string, unknown> {
  const schema = buildRoutingConfigSchema(CONFIG_EXTENSIONS);
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const defs = { ...((json.$defs as Record<string, unknown>) ?? {}), condition: conditionDef };
  return {
    ...json,
    $id: 'https://switchboard.local/schema/routing.schema.json',
    title: 'Switchboard routing.yaml',
    $defs: defs,
  };
}

export function routingJsonSchemaText(): string {
  return `${JSON.stringify(routingJsonSchema(), null, 2)}\n`;
}
