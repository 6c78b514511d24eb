/**
 * How a product search term is matched (the server builds its query from this; the web app
 * uses it to decide when a term is worth sending). The search is a case-insensitive match on name, handle
 * and SKU served by trigram (pg_trgm GIN) indexes, and an index can serve `ILIKE '%term%'` only
 * when the term holds a trigram: three letters or digits in a row. Anything else would read
 * every product (199 underscores took 10 s on 300,000 products), so:
 *
 * - `contains`: three letters or digits in a row → substring match, as documented;
 * - `exact`: a letter or digit, but never three in a row ("ab", "x1", "a-b") → the whole name,
 *   handle or SKU equals the term (case-insensitive). Anchored at both ends, pg_trgm pads the
 *   term's words with spaces, so even one letter gives the index trigrams to look up;
 * - `unsearchable`: no letter or digit at all ("%", "__", "--") → refused with 422, since
 *   pg_trgm ignores everything else and no index can find it.
 *
 * Letters and digits are Unicode's; pg_trgm counts the same ones in a UTF-8 database.
 */
export type SearchKind = 'contains' | 'exact' | 'unsearchable';

const TRIGRAM = /[\p{L}\p{Nd}]{3}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{Nd}]/u;

export function searchKind(term: string): SearchKind {
  if (TRIGRAM.test(term)) return 'contains';
  if (LETTER_OR_DIGIT.test(term)) return 'exact';
  return 'unsearchable';
}

/**
 * How a whole search term is matched. Several words of which one at least holds a trigram
 * ("grey levelling", "compound 1L") match as `words`: every word (any order) is contained in the
 * name, the handle or the SKU; words without a letter or digit ("-", "&") are left out. A
 * single word, or words without any trigram ("ab cd"), match as the term does (`searchKind`):
 * the indexes can only serve a search through a word with a trigram.
 */
export type SearchPlan =
  | { mode: 'words'; words: string[] }
  | { mode: 'contains' | 'exact'; term: string }
  | { mode: 'unsearchable' };

/** At most this many words are matched (the rest of a long paste is ignored). */
export const MAX_SEARCH_WORDS = 8;

export function searchPlan(term: string): SearchPlan {
  const trimmed = term.trim();
  const words = trimmed
    .split(/\s+/u)
    .filter((word) => LETTER_OR_DIGIT.test(word))
    .slice(0, MAX_SEARCH_WORDS);
  if (words.length > 1 && words.some((word) => TRIGRAM.test(word))) {
    return { mode: 'words', words };
  }
  const kind = searchKind(trimmed);
  return kind === 'unsearchable' ? { mode: 'unsearchable' } : { mode: kind, term: trimmed };
}
