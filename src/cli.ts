/**
 * `switchboard <command>`: one entry for the service and the revops commands. Each command lives
 * in src/cli/<name>-command.ts and registers itself on the program; this file only wires them.
 */
import { Command, CommanderError } from 'commander';
import { registerValidateCommand } from './cli/validate-command.ts';
import { registerExplainCommand } from './cli/explain-command.ts';
import { registerServeCommand } from './cli/serve-command.ts';
import { registerMigrateCommand } from './cli/migrate-command.ts';
import { registerTestCommand } from './cli/test-command.ts';
import { registerReplayCommand } from './cli/replay-command.ts';
import { registerReviewCommand } from './cli/review-command.ts';
import { registerTaxonomyCommand } from './cli/taxonomy-command.ts';

/** Runs the CLI and resolves to the process exit code (commands set it; errors map to 1, usage to 2). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('switchboard')
    .description('Lead routing as code: validate, explain and serve config/routing.yaml')
    .exitOverride()
    .showHelpAfterError();
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  registerValidateCommand(program, setExit);
  registerExplainCommand(program, setExit);
  registerServeCommand(program, setExit);
  registerMigrateCommand(program, setExit);
  registerTestCommand(program, setExit);
  registerReplayCommand(program, setExit);
  registerReviewCommand(program, setExit);
  registerTaxonomyCommand(program, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return exitCode;
}

export type SetExitCode = (code: number) => void;
