/**
 * Intent → stated problem: `problems:` maps a problem name to keywords and phrases looked for in
 * the lead's free-text message (case-insensitive, whole words, simple plurals, curly apostrophes
 * folded). The first problem in file order that matches wins, so put the most specific first.
 */
import { keywordsRegex, normaliseText } from './text-match.ts';

export interface ProblemMatch {
  problem: string;
  /** The words of the message that matched, as written by the lead. */
  matched: string;
}

export interface CompiledProblems {
  names: string[];
  find(message: string | undefined | null): ProblemMatch | null;
}

export function compileProblems(problems: Record<string, string[]> | undefined): CompiledProblems {
  const entries = Object.entries(problems ?? {}).map(([name, words]) => ({
    name,
    re: keywordsRegex(words),
  }));
  return {
    names: entries.map((e) => e.name),
    find(message) {
      if (!message) return null;
      const text = normaliseText(message);
      for (const e of entries) {
        const m = e.re.exec(text);
        if (m) return { problem: e.name, matched: m[0] };
      }
      return null;
    },
  };
}
