/**
 * `switchboard explain --lead FILE|- [--config FILE] [--at ISO-TIME] [--json]`: routes one lead
 * against routing.yaml and prints the decision with its "why" (type and why not the earlier
 * ones, assignee, backup, SLA due, first touch, fallback plan). The clock is `--at`, else the
 * lead's `created_at`, else now; pool counts start empty.
 */
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { DEFAULT_ROUTING_CONFIG, loadRoutingConfigFile } from '../config-file.ts';
import { readLeadFile } from '../lead-file.ts';
import { emptyRoutingState } from '../routing/decision.ts';
import { route } from '../routing/route.ts';
import { formatDecision } from '../routing/trace-format.ts';
import { parseAt } from './cli-args.ts';

export function registerExplainCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('explain')
    .description('Route one lead (JSON file, or - for stdin) and show the decision and its trace')
    .requiredOption('--lead <file>', 'lead JSON file, or - to read stdin')
    .option('--config <file>', 'routing config file', DEFAULT_ROUTING_CONFIG)
    .option('--at <iso-time>', "decision time (default: the lead's created_at, else now)")
    .option('--json', 'print the Decision as JSON')
    .action(async (opts: { lead: string; config: string; at?: string; json?: boolean }) => {
      const at = parseAt(opts.at, 'explain');
      const { config } = await loadRoutingConfigFile(opts.config);
      const lead = await readLeadFile(opts.lead);
      const now = at ?? (lead.created_at ? new Date(lead.created_at) : new Date());
      const decision = route(config, lead, now, emptyRoutingState());
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(decision, null, 2)}\n`
          : `${formatDecision(decision, lead)}\n`,
      );
      setExit(0);
    });
}
