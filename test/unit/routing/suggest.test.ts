import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearest } from '../../../src/routing/suggest.ts';

describe('suggestions', () => {
  it('measures edit distance', () => {
    expect(editDistance('dna', 'dana')).toBe(1);
    expect(editDistance('marcos', 'marcus')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('suggests the nearest plausible name only', () => {
    expect(didYouMean('dna', ['dana', 'marcus'])).toBe(' (did you mean "dana"?)');
    expect(nearest('handlr', ['handler', 'backup', 'pool'])).toBe('handler');
    expect(didYouMean('zzzzzz', ['dana', 'marcus'])).toBe('');
  });
});
