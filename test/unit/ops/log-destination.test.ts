/**
 * The service's buffered stdout (src/logger.ts): lines logged just before an exit still come out,
 * complete and in order, whether the process waits for `flushLog` (graceful shutdown) or exits at
 * once (pino's exit hook); and a quiet service's line is written within the periodic flush, not
 * held until 4 KiB pile up. Each case runs in a child process whose stdout is a pipe, as under a
 * supervisor.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const LOGGER = path.resolve(import.meta.dirname, '../../../src/logger.ts');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs `body` in a child with `log` (buffered stdout logger) in scope; resolves to its stdout. */
function runChild(body: string, opts: { sync?: boolean } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-log-'));
  dirs.push(dir);
  const file = path.join(dir, 'child.mts');
  writeFileSync(
    file,
    `import { createLogger, stdoutDestination, flushLog } from ${JSON.stringify(LOGGER)};\n` +
      `const log = createLogger('info', stdoutDestination(${opts.sync === true}));\n` +
      `void flushLog;\n${body}\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<{ at: number; text: string }> = [];
  let partial = '';
  const started = Date.now();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const text of parts) lines.push({ at: Date.now() - started, text });
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, lines, exited, stderr: () => stderr };
}

const numbers = (lines: Array<{ text: string }>) =>
  lines.map((l) => (JSON.parse(l.text) as { n?: number }).n).filter((n) => n !== undefined);

describe('buffered stdout log', () => {
  it('writes every line, in order, when a shutdown waits for flushLog and exits', async () => {
    const c = runChild(
      `for (let n = 0; n < 2000; n++) log.info({ n }, 'line');\n` +
        `await flushLog(log);\nprocess.exit(0);`,
    );
    expect(await c.exited, c.stderr()).toBe(0);
    expect(numbers(c.lines)).toEqual([...Array(2000).keys()]);
  });

  it('writes the lines still buffered when the process exits without waiting', async () => {
    const c = runChild(`for (let n = 0; n < 10; n++) log.info({ n }, 'line');\nprocess.exit(3);`);
    expect(await c.exited, c.stderr()).toBe(3);
    expect(numbers(c.lines)).toEqual([...Array(10).keys()]);
  });

  it('writes a lone line within the periodic flush, not when 4 KiB have piled up', async () => {
    const c = runChild(
      `log.info({ n: 1 }, 'lone line');\nsetTimeout(() => process.exit(0), 3000);`,
    );
    const deadline = Date.now() + 2500;
    while (c.lines.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    c.child.kill('SIGKILL'); // no exit hook: only what was already written counts
    await c.exited;
    expect(numbers(c.lines)).toEqual([1]);
    // 200 ms flush period plus the child's start-up (tsx), well under the 3 s before it exits.
    expect(c.lines[0]!.at).toBeLessThan(2500);
  });

  it('LOG_SYNC: a synchronous destination has written each line before SIGKILL', async () => {
    const c = runChild(
      `for (let n = 0; n < 5; n++) log.info({ n }, 'line');\n` +
        `process.kill(process.pid, 'SIGKILL');`,
      { sync: true },
    );
    await c.exited;
    expect(numbers(c.lines)).toEqual([0, 1, 2, 3, 4]);
  });
});
