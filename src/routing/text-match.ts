/**
 * Word and phrase matching shared by `problems:` and the `contains_any_word` operator:
 * case-insensitive, on word boundaries, with simple plurals (rebuild → rebuilds, process →
 * processes) and typographic apostrophes folded to ASCII, so a message typed on a phone
 * ("We’re thinking…") matches a keyword typed in an editor ("we're").
 */

/** Folds curly quotes to straight ones; keeps length, so match offsets stay valid. */
export function normaliseText(text: string): string {
  // Most messages have no typographic quotes: one test is cheaper than two replaces.
  if (!TYPOGRAPHIC.test(text)) return text;
  return text.replace(/[\u2018\u2019\u201B\u2032]/g, "'").replace(/[\u201C\u201D\u2033]/g, '"');
}
const TYPOGRAPHIC = /[\u2018\u2019\u201B\u2032\u201C\u201D\u2033]/;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The regex source for one keyword or phrase. Spaces match any run of whitespace; a hyphen
 * matches a hyphen, a space or nothing ("re-platform", "re platform", "replatform"); the last
 * word may take an `s`/`es` plural.
 */
export function keywordSource(keyword: string): string {
  const words = normaliseText(keyword).trim().toLowerCase().split(/\s+/).filter(Boolean);
  const parts = words.map((w) => w.split('-').map(escapeRegex).join('[-\\s]?'));
  return `${parts.join('\\s+')}(?:s|es)?`;
}

/** One regex matching any of the keywords as whole words (letters/digits never adjoin the match). */
export function keywordsRegex(keywords: readonly string[]): RegExp {
  const alternatives = keywords.map(keywordSource).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{N}])`, 'iu');
}
