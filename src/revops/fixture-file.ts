/**
 * Reading fixture files: YAML with positions, checked against the fixture schema, leads resolved
 * (a path is relative to the fixture file) and checked against the Lead schema. Every problem
 * carries file:line:col so `switchboard test --format github` can annotate the pull request.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { LeadFileError, parseLeadJson } from '../lead-file.ts';
import type { ConfigPath } from '../routing/config-issue.ts';
import type { Lead } from '../routing/lead.ts';
import { locate } from '../routing/yaml-position.ts';
import { FixtureFileSchema, type ExpectKey, type FixtureExpect } from './fixture-schema.ts';

export interface FixtureProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface LoadedFixture {
  file: string;
  index: number;
  name: string;
  /** Line of the case (its `- name:` item). */
  line: number;
  lead: Lead;
  at: Date | null;
  expect: FixtureExpect;
  /** Line of each expectation, so a failure points at the line to look at. */
  expectLines: Partial<Record<ExpectKey, number>>;
}

export interface FixtureFileResult {
  file: string;
  fixtures: LoadedFixture[];
  problems: FixtureProblem[];
}

export async function loadFixtureFile(file: string): Promise<FixtureFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return {
      file,
      fixtures: [],
      problems: [{ file, line: 1, col: 1, message: `cannot read: ${(err as Error).message}` }],
    };
  }
  return parseFixtureText(text, file, (p) => readFile(p, 'utf8'));
}

/** Parses fixture text; `readLead` reads a lead file path (resolved against the fixture's folder). */
export async function parseFixtureText(
  text: string,
  file: string,
  readLead: (p: string) => Promise<string>,
): Promise<FixtureFileResult> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const problem = (p: ConfigPath, message: string): FixtureProblem => {
    const pos = locate(doc, lc, p) ?? { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col, message };
  };
  if (doc.errors.length > 0) {
    return {
      file,
      fixtures: [],
      problems: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 1,
        col: e.linePos?.[0].col ?? 1,
        message: `YAML ${e.code}: ${e.message.split('\n')[0]!}`,
      })),
    };
  }
  const parsed = FixtureFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      file,
      fixtures: [],
      problems: parsed.error.issues.map((i) => {
        const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
        const keys = i.code === 'unrecognized_keys' ? ` ${i.keys.join(', ')}` : '';
        return problem(p, `${p.join('.') || 'file'}: ${i.message}${keys}`);
      }),
    };
  }
  const fixtures: LoadedFixture[] = [];
  const problems: FixtureProblem[] = [];
  for (const [index, f] of parsed.data.entries()) {
    let lead: Lead;
    try {
      let raw: unknown;
      if (typeof f.lead === 'string') {
        const leadPath = path.resolve(path.dirname(file), f.lead);
        raw = JSON.parse(await readLead(leadPath));
      } else raw = f.lead;
      if (f.with) raw = deepMerge(raw, f.with);
      lead = parseLeadJson(JSON.stringify(raw), `${f.name}: lead`);
    } catch (err) {
      const msg =
        err instanceof LeadFileError || err instanceof SyntaxError
          ? err.message
          : `cannot read lead ${String(f.lead)}: ${(err as Error).message}`;
      problems.push(problem([index, 'lead'], msg));
      continue;
    }
    const expectLines: Partial<Record<ExpectKey, number>> = {};
    for (const k of Object.keys(f.expect) as ExpectKey[])
      expectLines[k] = lineOf(doc, lc, [index, 'expect', k]);
    fixtures.push({
      file,
      index,
      name: f.name,
      line: lineOf(doc, lc, [index]),
      lead,
      at: f.at ? new Date(f.at) : null,
      expect: f.expect,
      expectLines,
    });
  }
  return { file, fixtures, problems };
}

function lineOf(doc: Document, lc: LineCounter, p: ConfigPath): number {
  return locate(doc, lc, p)?.line ?? 1;
}

function deepMerge(base: unknown, over: Record<string, unknown>): unknown {
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? deepMerge(out[k], v as Record<string, unknown>)
        : v;
  }
  return out;
}
