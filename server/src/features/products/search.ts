/**
 * Product search in SQL (the plan of a term is contract/src/search.ts). Every field is compared
 * folded: lower case, accents off (`tm_search_fold`, migration 0021), so "grosse" finds "Größe"
 * and "BETON" finds "béton". The term is folded by the same SQL function, never in JavaScript,
 * so both sides always agree.
 *
 * - a word with a trigram is contained in the product's search document (name, handle, SKU,
 *   vendor and type: `tm_search_document`), served by one trigram GIN index per word;
 * - a shorter word of a several-word term starts a word of the document (`\m`), checked on the
 *   rows the longer words found;
 * - a single term without a trigram equals a whole name, handle or SKU (b-tree indexes on the
 *   folded values).
 *
 * Ranking: a product whose SKU or handle equals the whole term comes first (`exactMatch`).
 */
import { searchPlan } from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';

/** The stored, folded search document (a generated column, migration 0021). */
const DOCUMENT = sql`p.search_document`;

const fold = (value: string) => sql`tm_search_fold(${value})`;

/**
 * LIKE "contains" of the folded word, its `\`, `%` and `_` escaped after folding (folding could
 * make one of them, e.g. a full-width percent sign).
 */
const containsFolded = (word: string) =>
  sql`'%' || replace(replace(replace(${fold(word)}, ${'\\'}, ${'\\\\'}), '%', ${'\\%'}), '_', ${'\\_'}) || '%'`;

/**
 * A regular expression for "a word starts with the folded word": every character PostgreSQL's
 * regex engine does not count as a word character is escaped, so it is literal.
 */
const wordStartFolded = (word: string) =>
  sql`${'\\m'} || regexp_replace(${fold(word)}, ${'(\\W)'}, ${'\\\\\\1'}, 'g')`;

/** The search filter's condition on `products p`. */
export function searchCondition(term: string): SQL {
  const plan = searchPlan(term);
  if (plan.mode === 'words') {
    return sql.join(
      plan.words.map(({ word, match }) =>
        match === 'contains'
          ? sql`${DOCUMENT} like ${containsFolded(word)}`
          : sql`${DOCUMENT} ~ (${wordStartFolded(word)})`,
      ),
      sql` and `,
    );
  }
  if (plan.mode === 'contains') return sql`${DOCUMENT} like ${containsFolded(term)}`;
  // A whole name, handle or SKU.
  const value = fold(term);
  return sql`(tm_search_fold(p.product_name) = ${value} or tm_search_fold(p.product_id) = ${value}
              or tm_search_fold(p.sku) = ${value})`;
}

/**
 * Whether the term's condition reads only the search document (every mode but the whole-value
 * match): a walk of the name order's index, which carries the document, can test it there.
 */
export function searchReadsDocumentOnly(term: string): boolean {
  const { mode } = searchPlan(term);
  return mode === 'words' || mode === 'contains';
}

/** Whether a product's SKU or handle is the whole term: such products are listed first. */
export function exactMatch(term: string): SQL {
  const value = fold(term.trim());
  return sql`(tm_search_fold(p.sku) = ${value} or tm_search_fold(p.product_id) = ${value})`;
}
