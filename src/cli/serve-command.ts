import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { startServer } from '../server.ts';
import { EnvError } from '../env.ts';
import { ConfigInvalidError, ConfigReadError } from '../config-file.ts';
import { SwitchboardError } from '../errors.ts';
import { CrmSettingsError } from '../adapters/create-crm.ts';

/** `switchboard serve`: runs the service until SIGTERM/SIGINT (see src/server.ts). */
export function registerServeCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('serve')
    .description(
      'Run the service: webhooks, JSON intake, the inbox worker (PORT, DATABASE_URL, … see docs/operations.md)',
    )
    .action(async () => {
      try {
        await startServer({ handleSignals: true });
      } catch (err) {
        if (err instanceof ConfigInvalidError) {
          process.stderr.write(
            `switchboard serve: refusing to start, ${err.fileName} is invalid:\n${err.report}\n`,
          );
        } else if (
          err instanceof EnvError ||
          err instanceof CrmSettingsError ||
          err instanceof ConfigReadError ||
          err instanceof SwitchboardError
        ) {
          process.stderr.write(`switchboard serve: ${err.message}\n`);
        } else {
          throw err;
        }
        setExit(1);
      }
    });
}
