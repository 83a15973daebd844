/**
 * `switchboard validate [--config FILE] [--format text|json|github] [--at ISO]`: checks
 * routing.yaml and prints every finding with file:line:col. Exit 0 when clean or only warnings,
 * 1 on any error. `--at` sets the clock for the `reviewed_on` staleness warning (default: now).
 */
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import {
  CONFIG_EXTENSIONS,
  DEFAULT_ROUTING_CONFIG,
  readRoutingConfigText,
} from '../config-file.ts';
import { formatReport, githubAnnotation } from '../routing/issue-format.ts';
import { parseRoutingConfig } from '../routing/parse-config.ts';
import { parseAt } from './cli-args.ts';

export function registerValidateCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('validate')
    .description('Check config/routing.yaml: every error with file:line:col, exit 1 on errors')
    .option('--config <file>', 'routing config file', DEFAULT_ROUTING_CONFIG)
    .option('--format <format>', 'text | json | github (workflow annotations)', 'text')
    .option('--at <iso-time>', 'clock for the review-staleness check (default: now)')
    .action(async (opts: { config: string; format: string; at?: string }) => {
      if (!['text', 'json', 'github'].includes(opts.format)) {
        process.stderr.write(`switchboard validate: --format must be text, json or github\n`);
        setExit(2);
        return;
      }
      const at = parseAt(opts.at, 'validate');
      const text = await readRoutingConfigText(opts.config);
      const result = parseRoutingConfig(text, opts.config, { at, extensions: CONFIG_EXTENSIONS });
      const issues = result.ok ? result.warnings : result.issues;
      if (opts.format === 'json') {
        process.stdout.write(
          `${JSON.stringify(
            {
              file: opts.config,
              ok: result.ok,
              hash: result.ok ? result.hash : null,
              leadTypes: result.ok ? result.config.leadTypes.map((t) => t.id) : null,
              issues,
            },
            null,
            2,
          )}\n`,
        );
      } else if (opts.format === 'github') {
        for (const i of issues) process.stdout.write(`${githubAnnotation(opts.config, i)}\n`);
        process.stdout.write(`${opts.config}: ${summary(issues)}\n`);
      } else {
        process.stdout.write(`${formatReport(opts.config, issues)}\n`);
        if (result.ok)
          process.stdout.write(
            `${opts.config}: OK, ${result.config.leadTypes.length} lead types (${result.config.leadTypes.map((t) => t.id).join(', ')}), sha256 ${result.hash.slice(0, 12)}\n`,
          );
      }
      setExit(result.ok ? 0 : 1);
    });
}

function summary(issues: Array<{ severity: string }>): string {
  const n = (s: string) => issues.filter((i) => i.severity === s).length;
  return `${n('error')} errors, ${n('warning')} warnings, ${n('note')} notes`;
}
