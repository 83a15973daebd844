import { describe, expect, it } from 'vitest';
import { compileProblems } from '../../../src/routing/problems.ts';

describe('stated problems from the message', () => {
  const problems = compileProblems({
    'operational rebuild': ['rebuild', 'overhaul', 're-platform'],
    'data migration': ['data migration', 'legacy system'],
    scaling: ['scale'],
  });

  it('maps the seed message (curly apostrophe) to operational rebuild', () => {
    expect(
      problems.find(
        'We’re thinking through some operational rebuild work. Open to a conversation.',
      ),
    ).toEqual({ problem: 'operational rebuild', matched: 'rebuild' });
  });

  it('is case-insensitive and accepts simple plurals', () => {
    expect(problems.find('Two OVERHAULS due')?.problem).toBe('operational rebuild');
    expect(problems.find('planning rebuilds')?.problem).toBe('operational rebuild');
    expect(problems.find('Our legacy systems are slow')?.problem).toBe('data migration');
  });

  it('matches whole words only', () => {
    expect(problems.find('We rebuilt it already')).toBeNull();
    expect(problems.find('escalate this')).toBeNull(); // "scale" inside a word
    expect(problems.find('We need to scale')?.problem).toBe('scaling');
  });

  it('hyphenated keywords match with a hyphen, a space or nothing', () => {
    expect(problems.find('time to re-platform')?.problem).toBe('operational rebuild');
    expect(problems.find('time to re platform')?.problem).toBe('operational rebuild');
    expect(problems.find('time to replatform')?.problem).toBe('operational rebuild');
  });

  it('phrases allow any whitespace between words', () => {
    expect(problems.find('a data\n  migration project')?.problem).toBe('data migration');
  });

  it('first problem in file order wins', () => {
    expect(problems.find('data migration and a rebuild')?.problem).toBe('operational rebuild');
  });

  it('no message or no match gives null', () => {
    expect(problems.find(undefined)).toBeNull();
    expect(problems.find('')).toBeNull();
    expect(problems.find('hello')).toBeNull();
  });
});
