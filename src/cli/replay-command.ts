/**
 * `switchboard replay --config proposed.yaml [--base FILE | --base-ref REF] [--since 30d | --last N]
 * [--source db|crm] [--format text|markdown|json] [--at ISO] [--shadow]`: re-decides recent real
 * leads under the base and the proposed config and prints what changes — `terraform plan` for
 * routing.yaml. Without --base/--base-ref the base is the committed version (`HEAD`) of the
 * proposed file. `--shadow` instead compares the stored live decisions with the stored shadow
 * decisions over the window.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { DEFAULT_ROUTING_CONFIG } from '../config-file.ts';
import { loadEnv, type Env } from '../env.ts';
import { configFromFile, configFromGit } from '../revops/config-source.ts';
import { crmFromEnv } from '../revops/crm-from-env.ts';
import { readCrmLeads } from '../revops/crm-leads.ts';
import { openStore } from '../revops/open-store.ts';
import { catchAllOf, replayLeads, type ReplayReport } from '../revops/replay.ts';
import {
  formatReplayJson,
  formatReplayMarkdown,
  formatReplayText,
} from '../revops/replay-format.ts';
import { readStoredLeads } from '../revops/stored-leads.ts';
import { shadowReport } from '../revops/shadow-report.ts';
import { parseWindow } from '../revops/window-args.ts';
import { CliUsageError, parseAt } from './cli-args.ts';

interface ReplayOpts {
  config: string;
  base?: string;
  baseRef?: string;
  since?: string;
  last?: string;
  source: string;
  format: string;
  at?: string;
  shadow?: boolean;
}

export function registerReplayCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('replay')
    .description(
      'Re-decide recent real leads under a base and a proposed routing.yaml; print the diff',
    )
    .option('--config <file>', 'the proposed routing config', DEFAULT_ROUTING_CONFIG)
    .option('--base <file>', 'the base config file')
    .option('--base-ref <git-ref>', 'read the base config from git at this ref (default HEAD)')
    .option('--since <duration>', 'leads decided in this window, e.g. 7d, 30d (default 30d)')
    .option('--last <n>', 'the N most recent leads instead of a window')
    .option(
      '--source <source>',
      'db (Switchboard’s store) | crm (recent leads via the adapter)',
      'db',
    )
    .option('--format <format>', 'text | markdown | json', 'text')
    .option('--at <iso-time>', "one clock for every lead (default: each lead's decision time)")
    .option('--shadow', 'compare stored live decisions with stored shadow decisions instead')
    .action(async (opts: ReplayOpts) => {
      if (!['text', 'markdown', 'json'].includes(opts.format))
        throw new CliUsageError('replay: --format must be text, markdown or json');
      if (!['db', 'crm'].includes(opts.source))
        throw new CliUsageError('replay: --source must be db or crm');
      if (opts.base && opts.baseRef)
        throw new CliUsageError('replay: give --base or --base-ref, not both');
      const at = parseAt(opts.at, 'replay');
      const window = parseWindow('replay', opts, new Date(), '30d');
      const env = loadEnv();
      let report: ReplayReport;
      let labels = { before: 'base', after: 'proposed' };
      if (opts.shadow) {
        const handle = await openStore(env);
        try {
          report = await shadowReport(handle.db, window, await catchAllIds(env));
        } finally {
          await handle.close();
        }
        labels = { before: 'live', after: 'shadow' };
      } else {
        // Both configs first: an invalid one stops here with its positioned errors.
        const proposed = await configFromFile(opts.config);
        const base = opts.base
          ? await configFromFile(opts.base)
          : await configFromGit(opts.baseRef ?? 'HEAD', opts.base ?? opts.config);
        const leads =
          opts.source === 'crm'
            ? await readCrmLeads(crmFromEnv(env, proposed), window)
            : await withStore(env, (db) => readStoredLeads(db, window));
        const bar = progressBar(leads.length);
        try {
          report = replayLeads(base, proposed, leads, {
            ...(at ? { at } : {}),
            ...(bar ? { onProgress: (n: number) => bar.update(n) } : {}),
          });
        } finally {
          bar?.stop();
        }
      }
      const text =
        opts.format === 'json'
          ? formatReplayJson(report)
          : opts.format === 'markdown'
            ? formatReplayMarkdown(report, labels)
            : formatReplayText(report, labels);
      process.stdout.write(`${text}\n`);
      setExit(0);
    });
}

async function withStore<T>(
  env: Parameters<typeof openStore>[0],
  fn: (db: Awaited<ReturnType<typeof openStore>>['db']) => Promise<T>,
): Promise<T> {
  const handle = await openStore(env);
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** Catch-all ids of the live and shadow configs, when they load (for "newly falling to the catch-all"). */
async function catchAllIds(env: Env): Promise<{ before: string; after: string }> {
  const id = async (path: string | undefined) =>
    path ? catchAllOf(await configFromFile(path)).toString() : '';
  return {
    before: await id(env.ROUTING_CONFIG).catch(() => ''),
    after: await id(env.SHADOW_CONFIG).catch(() => ''),
  };
}

/** Only when a person is watching: CI logs and pipes stay clean. */
function progressBar(total: number): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY || total < 200) return null;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'replay [{bar}] {value}/{total} leads', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
