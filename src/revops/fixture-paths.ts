/** Fixture arguments → files: a directory means its *.yaml / *.yml files (Node 20 has no fs.glob). */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_FIXTURES_DIR = 'examples/fixtures';

export async function expandFixturePaths(args: readonly string[]): Promise<string[]> {
  const inputs = args.length ? args : [DEFAULT_FIXTURES_DIR];
  const files: string[] = [];
  for (const a of inputs) {
    const s = await stat(a).catch(() => null);
    if (s?.isDirectory()) {
      const names = (await readdir(a)).filter((n) => /\.ya?ml$/.test(n)).sort();
      files.push(...names.map((n) => path.join(a, n)));
    } else files.push(a); // a missing file is reported by the loader with its name
  }
  return files;
}
