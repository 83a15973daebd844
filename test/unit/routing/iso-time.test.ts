import { describe, expect, it } from 'vitest';
import { isoUtc, isoWall } from '../../../src/routing/iso-time.ts';

describe('iso-time: integer ISO formatting equals Date#toISOString', () => {
  it('matches toISOString across centuries, leap days, month ends and every millisecond field', () => {
    const fixed = [
      0,
      -1,
      951_782_400_000, // 2000-02-29
      4_107_542_400_000, // 2100-03-01 (2100 is not a leap year)
      Date.parse('2026-12-31T23:59:59.999Z'),
      Date.parse('2027-01-01T00:00:00.000Z'),
      Date.parse('1969-12-31T23:59:59.999Z'),
      Date.parse('0001-01-01T00:00:00.000Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
    ];
    let seed = 12345;
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const random = Array.from({ length: 20_000 }, () =>
      Math.floor((rnd() * 2 - 1) * 253_402_300_799_999),
    );
    for (const ms of [...fixed, ...random]) {
      const expected = new Date(ms).toISOString();
      expect(isoUtc(ms)).toBe(expected);
      expect(isoWall(ms)).toBe(expected.slice(0, -1));
    }
  });

  it('falls back to the built-in form outside years 0000-9999 and throws like it on NaN', () => {
    for (const ms of [253_402_300_800_000, -62_167_219_200_001, 8.64e15])
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoUtc(Number.NaN)).toThrow(RangeError);
  });
});
