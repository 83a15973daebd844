import type { Command } from 'commander';
import type { SetExitCode } from '../cli.ts';
import { loadEnv, EnvError } from '../env.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { SwitchboardError } from '../errors.ts';

/** `switchboard migrate`: applies pending SQL migrations (the server also does at start). */
export function registerMigrateCommand(program: Command, setExit: SetExitCode): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (DATABASE_URL, or PGlite in PGLITE_DIR)')
    .action(async () => {
      try {
        const env = loadEnv();
        const handle = await openDatabase(
          env.DATABASE_URL ? { url: env.DATABASE_URL, poolMax: 1 } : { dataDir: env.PGLITE_DIR },
        );
        try {
          const applied = await migrate(handle);
          process.stdout.write(
            applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
          );
        } finally {
          await handle.close();
        }
      } catch (err) {
        if (err instanceof EnvError || err instanceof SwitchboardError) {
          process.stderr.write(`switchboard migrate: ${err.message}\n`);
          setExit(1);
          return;
        }
        throw err;
      }
    });
}
