/**
 * `switchboard taxonomy [--last 100] [--source db|crm] [--config FILE] [--format text|markdown|json]`:
 * the seed's "pull the last 100 leads" exercise — classify them with the current taxonomy and see
 * whether five to seven types fit.
 */
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { DEFAULT_ROUTING_CONFIG } from '../config-file.ts';
import { loadEnv } from '../env.ts';
import { configFromFile } from '../revops/config-source.ts';
import { crmFromEnv } from '../revops/crm-from-env.ts';
import { readCrmLeads } from '../revops/crm-leads.ts';
import { openStore } from '../revops/open-store.ts';
import { readStoredLeads } from '../revops/stored-leads.ts';
import { classifyLeads, type TaxonomyLead } from '../revops/taxonomy.ts';
import { withCrmOutcomes, withStoredOutcomes } from '../revops/taxonomy-data.ts';
import { formatTaxonomyMarkdown, formatTaxonomyText } from '../revops/taxonomy-format.ts';
import { parseWindow } from '../revops/window-args.ts';
import { CliUsageError } from './cli-args.ts';

export function registerTaxonomyCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('taxonomy')
    .description(
      'Classify the last N leads: counts per type by source and outcome, catch-all share, samples, verdict',
    )
    .option('--last <n>', 'how many recent leads', '100')
    .option('--source <source>', 'db (Switchboard’s store) | crm (via the adapter)', 'db')
    .option('--config <file>', 'routing config', DEFAULT_ROUTING_CONFIG)
    .option('--format <format>', 'text | markdown | json', 'text')
    .action(async (opts: { last: string; source: string; config: string; format: string }) => {
      if (!['text', 'markdown', 'json'].includes(opts.format))
        throw new CliUsageError('taxonomy: --format must be text, markdown or json');
      if (!['db', 'crm'].includes(opts.source))
        throw new CliUsageError('taxonomy: --source must be db or crm');
      const window = parseWindow('taxonomy', { last: opts.last }, new Date(), '90d');
      const config = await configFromFile(opts.config);
      const env = loadEnv();
      let leads: TaxonomyLead[];
      if (opts.source === 'crm')
        leads = withCrmOutcomes(await readCrmLeads(crmFromEnv(env, config), window));
      else {
        const handle = await openStore(env);
        try {
          leads = await withStoredOutcomes(handle.db, await readStoredLeads(handle.db, window));
        } finally {
          await handle.close();
        }
      }
      const report = classifyLeads(config, leads);
      process.stdout.write(
        `${
          opts.format === 'json'
            ? JSON.stringify(report, null, 2)
            : opts.format === 'markdown'
              ? formatTaxonomyMarkdown(report)
              : formatTaxonomyText(report)
        }\n`,
      );
      setExit(0);
    });
}
