import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';

// Placeholder until its issue lands: says so plainly instead of pretending.
export function registerMigrateCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('migrate')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('switchboard migrate: not built yet\n');
      setExit(1);
    });
}
