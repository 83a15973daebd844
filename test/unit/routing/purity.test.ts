// The routing core must stay pure: no I/O, no clock, no environment, nothing from the service.
// This test reads every file under src/routing and fails on an import or global that breaks that.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../../src/routing');
const ALLOWED_PACKAGES = new Set(['zod', 'yaml', 'luxon', 'liquidjs']);
const ALLOWED_NODE = new Set(['node:crypto']); // hashing the config is pure

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export function impurities(file: string, source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(
    /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm,
  )) {
    const isType = Boolean(m[2]);
    const spec = m[3]!;
    if (isType) continue;
    if (spec.startsWith('.')) {
      const target = join(file, '..', spec);
      if (relative(root, target).startsWith('..'))
        found.push(`imports ${spec} from outside src/routing`);
    } else if (
      spec.startsWith('node:')
        ? !ALLOWED_NODE.has(spec)
        : !ALLOWED_PACKAGES.has(spec.split('/')[0]!)
    ) {
      found.push(`imports ${spec}`);
    }
  }
  for (const [pattern, what] of [
    [/\bprocess\.env\b/, 'reads process.env'],
    [/\bDate\.now\(/, 'reads the clock (Date.now)'],
    [/new Date\(\s*\)/, 'reads the clock (new Date())'],
    [/DateTime\.(now|local)\(\s*\)/, 'reads the clock (luxon now)'],
    [/\bMath\.random\(/, 'uses Math.random (decisions must be deterministic)'],
    [/\b(fetch|setTimeout|setInterval)\(/, 'does I/O or schedules work'],
  ] as const) {
    if (pattern.test(source)) found.push(what);
  }
  return found;
}

describe('src/routing is pure', () => {
  it('has no file that imports I/O, reads the clock or the environment', () => {
    const offences = filesUnder(root).flatMap((f) =>
      impurities(f, readFileSync(f, 'utf8')).map((o) => `${relative(root, f)}: ${o}`),
    );
    expect(offences).toEqual([]);
  });

  it('the check itself catches each kind of impurity', () => {
    const f = join(root, 'x.ts');
    expect(impurities(f, "import pg from 'pg';")).toEqual(['imports pg']);
    expect(impurities(f, "import { db } from '../db/database.ts';")).toEqual([
      'imports ../db/database.ts from outside src/routing',
    ]);
    expect(impurities(f, "import { readFileSync } from 'node:fs';")).toEqual(['imports node:fs']);
    expect(impurities(f, 'const t = Date.now();')).toEqual(['reads the clock (Date.now)']);
    expect(impurities(f, 'const x = process.env.PORT;')).toEqual(['reads process.env']);
    expect(impurities(f, "import type { Pool } from 'pg';")).toEqual([]);
    expect(impurities(f, "import { z } from 'zod';")).toEqual([]);
  });
});
