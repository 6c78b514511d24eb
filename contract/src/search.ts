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
