/**
 * Reading a lead from a JSON file (or stdin) for `explain`: the file is checked against the Lead
 * schema and every problem names its field (`lead.employees: expected a number, got "300"`).
 */
import { readFile } from 'node:fs/promises';
import { LeadSchema, type Lead } from './routing/lead.ts';
import { keysAt } from './routing/parse-config.ts';
import { didYouMean } from './routing/suggest.ts';
import { formatPath } from './routing/config-issue.ts';

export class LeadFileError extends Error {
  override name = 'LeadFileError';
  readonly code = 'LEAD.INVALID';
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses and checks lead JSON text; throws LeadFileError listing every bad field. */
export function parseLeadJson(text: string, source: string): Lead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LeadFileError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const r = LeadSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.flatMap((i) => {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') {
      const known = keysAt(LeadSchema, path) ?? [];
      return i.keys.map(
        (k) => `  lead.${formatPath([...path, k])}: unknown field${didYouMean(k, known)}`,
      );
    }
    return [`  lead${path.length ? `.${formatPath(path)}` : ''}: ${i.message}`];
  });
  throw new LeadFileError(`${source}: the lead is not valid:\n${lines.join('\n')}`);
}

export async function readLeadFile(file: string): Promise<Lead> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new LeadFileError(`cannot read lead file ${file}: ${(err as Error).message}`);
  }
  return parseLeadJson(text, file === '-' ? 'stdin' : file);
}
