import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';

// Placeholder until its issue lands: says so plainly instead of pretending.
export function registerExplainCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('explain')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('switchboard explain: not built yet\n');
      setExit(1);
    });
}
