import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../../src/db/database.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('PGlite data-directory lock', () => {
  it('refuses a second holder while the first is alive, and frees the directory on release', () => {
    const dir = path.join(tmp, 'a');
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`already in use by process ${process.pid}`);
    release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const dir = path.join(tmp, 'b');
    // pid 2^22 + 1 is above Linux's pid_max default: no such process.
    fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 4_194_305, host: os.hostname() }));
    const release = lockDataDir(dir);
    expect(JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8')).pid).toBe(process.pid);
    release();
  });
});
