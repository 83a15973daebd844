/**
 * `npm run schema`: writes schema/routing.schema.json (JSON Schema 2020-12) from the zod schema
 * of routing.yaml, for editors (`# yaml-language-server: $schema=../schema/routing.schema.json`).
 * The file is committed; test/unit/routing/json-schema.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { routingJsonSchemaText } from '../src/routing-json-schema.ts';

const out = join(import.meta.dirname, '../schema/routing.schema.json');
writeFileSync(out, routingJsonSchemaText());
process.stdout.write(`wrote ${out}\n`);
