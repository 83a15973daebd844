/**
 * Reading routing.yaml from disk: the one non-pure step before the pure parser. Throws a typed
 * `ConfigInvalidError` (code CONFIG.INVALID) carrying every issue and a ready-to-print report, so
 * the server refuses to start on a broken config and the CLI prints the same lines.
 */
import { readFile } from 'node:fs/promises';
import { CrmMappingSchema } from './adapters/crm-mapping-schema.ts';
import type { ConfigIssue } from './routing/config-issue.ts';
import type { SchemaExtensions } from './routing/config-schema.ts';
import { formatReport } from './routing/issue-format.ts';
import { parseRoutingConfig, type ParseOptions } from './routing/parse-config.ts';
import type { RoutingConfig } from './routing/routing-config.ts';

export const DEFAULT_ROUTING_CONFIG = 'config/routing.yaml';

/** Sections validated by schemas that live outside the pure core. */
export const CONFIG_EXTENSIONS: SchemaExtensions = { crm_mapping: CrmMappingSchema };

export class ConfigInvalidError extends Error {
  override name = 'ConfigInvalidError';
  readonly code = 'CONFIG.INVALID';
  constructor(
    readonly fileName: string,
    readonly issues: ConfigIssue[],
    /** Every issue on its own line with file:line:col, then a count line. */
    readonly report: string,
  ) {
    super(`${fileName} is invalid:\n${report}`);
  }
}

export class ConfigReadError extends Error {
  override name = 'ConfigReadError';
  readonly code = 'CONFIG.UNREADABLE';
}

export interface LoadedConfig {
  config: RoutingConfig;
  warnings: ConfigIssue[];
  hash: string;
  text: string;
}

/** Reads the file as text; a missing file is a ConfigReadError naming the path. */
export async function readRoutingConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigReadError(
      code === 'ENOENT'
        ? `routing config not found: ${path} (pass --config FILE or set ROUTING_CONFIG)`
        : `cannot read routing config ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export async function loadRoutingConfigFile(
  path: string = DEFAULT_ROUTING_CONFIG,
  options: Omit<ParseOptions, 'extensions'> = {},
): Promise<LoadedConfig> {
  const text = await readRoutingConfigText(path);
  const result = parseRoutingConfig(text, path, { ...options, extensions: CONFIG_EXTENSIONS });
  if (!result.ok)
    throw new ConfigInvalidError(path, result.issues, formatReport(path, result.issues));
  return { config: result.config, warnings: result.warnings, hash: result.hash, text };
}
