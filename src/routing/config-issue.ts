/**
 * One finding about routing.yaml. Parsing, schema checks and static checks all produce these;
 * positions are filled in from the YAML document by parse-config.ts.
 */
export type ConfigPath = Array<string | number>;

export interface ConfigIssue {
  severity: 'error' | 'warning' | 'note';
  /** Path into the document, e.g. `['lead_types', 2, 'handler']`. */
  path: ConfigPath;
  message: string;
  /** 1-based position of the offending node (or its nearest existing parent). */
  line?: number;
  col?: number;
}

/** `lead_types[2].handler`: the path as a human reads it in the error line. */
export function formatPath(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export const error = (path: ConfigPath, message: string): ConfigIssue => ({
  severity: 'error',
  path,
  message,
});
export const warning = (path: ConfigPath, message: string): ConfigIssue => ({
  severity: 'warning',
  path,
  message,
});
export const note = (path: ConfigPath, message: string): ConfigIssue => ({
  severity: 'note',
  path,
  message,
});
