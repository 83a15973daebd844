import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/routing/duration.ts';

describe('parseDuration', () => {
  it('reads each unit', () => {
    expect(parseDuration('90s')?.ms).toBe(90_000);
    expect(parseDuration('10m')?.ms).toBe(600_000);
    expect(parseDuration('4h')).toMatchObject({ value: 4, unit: 'h', ms: 14_400_000 });
    expect(parseDuration('2d')).toMatchObject({ value: 2, unit: 'd', ms: 172_800_000 });
    expect(parseDuration('1w')?.ms).toBe(604_800_000);
    expect(parseDuration('1.5h')?.ms).toBe(5_400_000);
  });
  it('rejects what is not a duration', () => {
    for (const bad of ['', '10', 'm', '10 minutes', '-5m', '0m', '3y'])
      expect(parseDuration(bad)).toBeNull();
  });
});
