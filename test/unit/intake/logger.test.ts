import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';

describe('logger redaction', () => {
  it('never writes authorization headers, signatures, tokens or e-mail addresses', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        req: {
          headers: {
            authorization: 'Bearer sekrit',
            'x-hubspot-signature-v3': 'c2ln',
            'x-hubspot-signature': 'abc123',
          },
        },
        lead: { email: 'kira@cascadiafreight.example', phone: '+1 555', company: 'Cascadia' },
        token: 'tok',
      },
      'hello',
    );
    const out = lines.join('');
    for (const secret of [
      'sekrit',
      'c2ln',
      'abc123',
      'kira@cascadiafreight.example',
      '+1 555',
      '"tok"',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('Cascadia');
    expect(JSON.parse(out).lead.email).toBe('[redacted]');
  });
});
