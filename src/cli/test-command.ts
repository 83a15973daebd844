/**
 * `switchboard test [--config FILE] [FIXTURES…] [--format text|github]`: runs routing fixtures
 * (default: every YAML file in examples/fixtures) against routing.yaml. Exit 0 when all pass,
 * 1 on any failure or unreadable fixture.
 */
import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { DEFAULT_ROUTING_CONFIG, loadRoutingConfigFile } from '../config-file.ts';
import { checkFixture } from '../revops/fixture-check.ts';
import { loadFixtureFile, type FixtureProblem } from '../revops/fixture-file.ts';
import { expandFixturePaths } from '../revops/fixture-paths.ts';
import { formatFixtureGithub, formatFixtureText } from '../revops/fixture-report.ts';

export function registerTestCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('test')
    .description('Run routing fixtures (expected type, handler, SLA due…) against routing.yaml')
    .argument('[fixtures...]', 'fixture files or folders', [])
    .option('--config <file>', 'routing config file', DEFAULT_ROUTING_CONFIG)
    .option('--format <format>', 'text | github (workflow annotations)', 'text')
    .action(async (fixtureArgs: string[], opts: { config: string; format: string }) => {
      if (!['text', 'github'].includes(opts.format)) {
        process.stderr.write('switchboard test: --format must be text or github\n');
        setExit(2);
        return;
      }
      const { config } = await loadRoutingConfigFile(opts.config);
      const files = await expandFixturePaths(fixtureArgs);
      const problems: FixtureProblem[] = [];
      const results = [];
      for (const file of files) {
        const loaded = await loadFixtureFile(file);
        problems.push(...loaded.problems);
        for (const f of loaded.fixtures) results.push(checkFixture(config, f));
      }
      if (files.length === 0)
        problems.push({ file: '.', line: 1, col: 1, message: 'no fixture files found' });
      const text =
        opts.format === 'github'
          ? formatFixtureGithub(results, problems)
          : formatFixtureText(results, problems);
      process.stdout.write(`${text}\n`);
      setExit(problems.length > 0 || results.some((r) => !r.ok) ? 1 : 0);
    });
}
