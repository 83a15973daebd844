import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';

// Placeholder until its issue lands: says so plainly instead of pretending.
export function registerServeCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('serve')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('switchboard serve: not built yet\n');
      setExit(1);
    });
}
