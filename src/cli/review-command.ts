/**
 * `switchboard review [--since 90d] [--config FILE] [--format text|markdown|html] [--out FILE]
 * [--at ISO]`: the 90-day review of how each lead type, source and handler performed, from the
 * leads and decisions Switchboard stored and the engagement the CRM reported.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { DEFAULT_ROUTING_CONFIG } from '../config-file.ts';
import { loadEnv } from '../env.ts';
import { configFromFile } from '../revops/config-source.ts';
import { openStore } from '../revops/open-store.ts';
import { computeReview } from '../revops/review.ts';
import { readReviewData } from '../revops/review-data.ts';
import { formatReviewMarkdown, formatReviewText } from '../revops/review-format.ts';
import { formatReviewHtml } from '../revops/review-html.ts';
import { parseWindow } from '../revops/window-args.ts';
import { CliUsageError, parseAt } from './cli-args.ts';

export function registerReviewCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('review')
    .description(
      'The 90-day review: volume, first touch, SLA, fallbacks, outcomes per type and source',
    )
    .option('--since <duration>', 'the period to review, e.g. 90d', '90d')
    .option(
      '--config <file>',
      'routing config (calendars, types, caps, reviewed_on)',
      DEFAULT_ROUTING_CONFIG,
    )
    .option('--format <format>', 'text | markdown | html', 'text')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--at <iso-time>', 'end of the period (default: now)')
    .action(
      async (opts: {
        since: string;
        config: string;
        format: string;
        out?: string;
        at?: string;
      }) => {
        if (!['text', 'markdown', 'html'].includes(opts.format))
          throw new CliUsageError('review: --format must be text, markdown or html');
        const now = parseAt(opts.at, 'review') ?? new Date();
        const window = parseWindow('review', { since: opts.since }, now, '90d');
        const config = await configFromFile(opts.config);
        const handle = await openStore(loadEnv());
        let data;
        try {
          data = await readReviewData(handle.db, { since: window.since!, until: now });
        } finally {
          await handle.close();
        }
        const report = computeReview(data, config, now);
        const text =
          opts.format === 'html'
            ? formatReviewHtml(report)
            : opts.format === 'markdown'
              ? formatReviewMarkdown(report)
              : formatReviewText(report);
        if (opts.out) {
          await writeFile(opts.out, text.endsWith('\n') ? text : `${text}\n`);
          process.stdout.write(`review written to ${opts.out} (${report.totals.leads} leads)\n`);
        } else process.stdout.write(`${text}\n`);
        setExit(0);
      },
    );
}
