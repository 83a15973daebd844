/**
 * The store the revops commands read: DATABASE_URL when set, else the embedded PGlite data
 * directory the service uses (PGLITE_DIR). Migrations are applied first (idempotent, under the
 * migration lock) so a command on a fresh directory says "no leads" rather than "no table".
 */
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import type { Env } from '../env.ts';

export async function openStore(
  env: Pick<Env, 'DATABASE_URL' | 'PGLITE_DIR'>,
): Promise<DatabaseHandle> {
  const handle = env.DATABASE_URL
    ? await openDatabase({ url: env.DATABASE_URL, poolMax: 2 })
    : await openDatabase({ dataDir: env.PGLITE_DIR });
  try {
    await migrate(handle);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
