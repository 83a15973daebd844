// docs/routing.md is the reference of routing.yaml: every key the schema accepts and every
// condition operator must be documented there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../../../src/routing/conditions.ts';
import { LeadTypeSchema, RoutingConfigSchema } from '../../../src/routing/config-schema.ts';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/routing.md'), 'utf8');

describe('docs/routing.md', () => {
  it('has a section for every top-level key', () => {
    for (const key of Object.keys(RoutingConfigSchema.shape))
      expect(doc, `missing "### \`${key}\`"`).toMatch(new RegExp(`^### .*\`${key}\``, 'm'));
  });

  it('documents every lead type key', () => {
    for (const key of Object.keys(LeadTypeSchema.shape))
      expect(doc, `missing lead type key ${key}`).toMatch(new RegExp(`\\| \`${key}\` +\\|`));
  });

  it('documents every condition operator', () => {
    for (const op of OPERATORS) expect(doc, `missing operator ${op}`).toContain(`\`${op}\``);
  });
});
