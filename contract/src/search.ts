/**
 * How a product search term is matched (the server builds its query from this:
 * server/src/features/products/search.ts; the web app uses it to decide when a term is worth
 * sending). The search is a case- and accent-insensitive match on a product's search document
 * (name, handle, SKU, vendor and type, folded), served by a trigram (pg_trgm GIN) index, and a
 * trigram index can serve `LIKE '%term%'` only when the term holds a trigram: three letters or
 * digits in a row. Anything else would read every product (199 underscores took 10 s on 300,000
 * products), so:
 *
 * - `contains`: three letters or digits in a row → substring match, as documented;
 * - `exact`: a letter or digit, but never three in a row ("ab", "x1", "a-b") → the whole name,
 *   handle or SKU equals the term (folded; b-tree indexes on the folded values);
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
 * ("grey levelling", "compound 1L") match as `words`, in any order: a word with a trigram is
 * contained in the search document (the index serves it); a shorter word starts a word of it ("1L", "02" finds "Product 020", not "Product 002"), checked on the rows
 * the longer words found. Words without a letter or digit ("-", "&") are left out. A single
 * word, or words without any trigram ("ab cd"), match as the term does (`searchKind`).
 */
export type SearchWord = { word: string; match: 'contains' | 'prefix' };
export type SearchPlan =
  | { mode: 'words'; words: SearchWord[] }
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
    return {
      mode: 'words',
      words: words.map((word) => ({ word, match: TRIGRAM.test(word) ? 'contains' : 'prefix' })),
    };
  }
  const kind = searchKind(trimmed);
  return kind === 'unsearchable' ? { mode: 'unsearchable' } : { mode: kind, term: trimmed };
}
