import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';

// Placeholder until its issue lands: says so plainly instead of pretending.
export function registerValidateCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('validate')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('switchboard validate: not built yet\n');
      setExit(1);
    });
}
