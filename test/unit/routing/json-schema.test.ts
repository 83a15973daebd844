import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { routingJsonSchema, routingJsonSchemaText } from '../../../src/routing-json-schema.ts';

const root = join(import.meta.dirname, '../../..');

describe('schema/routing.schema.json', () => {
  it('is current: run `npm run schema` and commit the result when this fails', () => {
    const committed = readFileSync(join(root, 'schema/routing.schema.json'), 'utf8');
    expect(committed).toBe(routingJsonSchemaText());
  });

  it('the example config declares it for editors', () => {
    const text = readFileSync(join(root, 'config/routing.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schema/routing.schema.json',
    );
  });

  // ajv comes with fastify (pinned by the lockfile); here it only proves editors would accept
  // the example config and reject a typo, as the loader does.
  it('accepts the example config and rejects a misspelt key', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(routingJsonSchema());
    const example = parse(readFileSync(join(root, 'config/routing.yaml'), 'utf8'));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    const typo = structuredClone(example);
    typo.lead_types[0].handlr = typo.lead_types[0].handler;
    expect(validate(typo)).toBe(false);
    const badOp = structuredClone(example);
    badOp.lead_types[0].when = { employees: { gtee: 250 } };
    expect(validate(badOp)).toBe(false);
  });
});
