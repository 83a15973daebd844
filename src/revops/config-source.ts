/**
 * A routing config from a file or from git (`git show REF:./path`, for `--base-ref origin/main`).
 * Either way it must validate: an invalid config throws ConfigInvalidError with every positioned
 * issue, so replay stops instead of comparing against half a config.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CONFIG_EXTENSIONS,
  ConfigInvalidError,
  ConfigReadError,
  loadRoutingConfigFile,
} from '../config-file.ts';
import { formatReport } from '../routing/issue-format.ts';
import { parseRoutingConfig } from '../routing/parse-config.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';

const run = promisify(execFile);

export async function configFromFile(path: string): Promise<RoutingConfig> {
  return (await loadRoutingConfigFile(path)).config;
}

export async function configFromGit(ref: string, path: string): Promise<RoutingConfig> {
  const name = `${ref}:${path}`;
  let text: string;
  try {
    const rel = path.startsWith('/') ? path : `./${path}`;
    text = (await run('git', ['show', `${ref}:${rel}`], { maxBuffer: 32 * 1024 * 1024 })).stdout;
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw new ConfigReadError(`cannot read ${name} from git: ${detail}`, { cause: err });
  }
  const result = parseRoutingConfig(text, name, { extensions: CONFIG_EXTENSIONS });
  if (!result.ok)
    throw new ConfigInvalidError(name, result.issues, formatReport(name, result.issues));
  return result.config;
}
