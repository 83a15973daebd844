/** `--since 30d` / `--last N` for the revops commands, checked with messages a human can act on. */
import { CliUsageError } from '../cli/cli-args.ts';
import { parseDuration } from '../routing/duration.ts';
import type { LeadWindow } from './stored-leads.ts';

export function parseWindow(
  command: string,
  opts: { since?: string; last?: string },
  now: Date,
  defaultSince: string,
): LeadWindow {
  const window: LeadWindow = {};
  if (opts.last !== undefined) {
    const n = Number(opts.last);
    if (!Number.isInteger(n) || n <= 0)
      throw new CliUsageError(
        `${command}: --last must be a positive whole number, got "${opts.last}"`,
      );
    window.last = n;
  }
  const since = opts.since ?? (opts.last === undefined ? defaultSince : undefined);
  if (since !== undefined) {
    const d = parseDuration(since);
    if (!d)
      throw new CliUsageError(
        `${command}: --since must be a duration such as 7d, 30d or 12w, got "${since}"`,
      );
    window.since = new Date(now.getTime() - d.ms);
  }
  return window;
}
