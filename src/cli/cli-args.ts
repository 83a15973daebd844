/** Shared parsing of CLI arguments for the revops commands. */

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** `--at 2026-11-28T02:43:00-08:00` → Date; undefined when absent; a clear error when malformed. */
export function parseAt(value: string | undefined, command: string): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!Number.isFinite(t))
    throw new CliUsageError(
      `${command}: --at must be an ISO 8601 time such as 2026-11-28T02:43:00-08:00, got "${value}"`,
    );
  return new Date(t);
}
