/**
 * The evidence behind category suggestions, read from the catalog's current assignments in one
 * query: for each signal, a bounded set of categorised neighbour products (similar names, the
 * same Shopify Type, the same vendor, a shared tag) and how many of them sit in each category,
 * counting only each neighbour's most specific categories (an assignment none of whose children
 * the neighbour also has).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ProductFilters } from '../products/filters.js';
import { filterCondition } from '../products/filters.js';
import { queryRows, type Executor } from '../../db/client.js';
import { arrayParam, preparedRows } from '../../db/sql.js';

/** How many similar names vote, and how many trigram matches are ranked to find them. */
export const NAME_NEIGHBOURS = 15;
export const NAME_CANDIDATES = 100;
/** Fewer products holding every word than this: also take those holding the first half. */
export const NAME_ENOUGH = 5;
/** Products sampled per Type, vendor or tag set (their shares are estimated from these). */
export const GROUP_SAMPLE = 100;
/** Words of a name that make its full-text query (letters only: sizes and codes are noise). */
export const NAME_QUERY_WORDS = 6;

/** The name's distinct words of 3+ letters, lower-cased, at most NAME_QUERY_WORDS. */
export function nameQueryWords(name: string): string[] {
  const found = (name.toLowerCase().match(/[\p{L}]+/gu) ?? []).filter((word) => word.length >= 3);
  return [...new Set(found)].slice(0, NAME_QUERY_WORDS);
}

/** Tags looked at per product (its first ones). */
export const MAX_TAGS = 3;

export interface SuggestionSubject {
  id: number;
  product_id: string;
  product_name: string;
  product_type: string | null;
  vendor: string | null;
  tags: string[];
}

export type EvidenceSignal = 'name' | 'type' | 'vendor' | 'tags';

export interface EvidenceRow {
  signal: EvidenceSignal;
  category_id: number;
  /** Neighbours of this signal in the category. */
  k: number;
  /** Neighbours of this signal in all (the sample size). */
  n: number;
}

const subjectColumns = sql`p.id, p.product_id, p.product_name, p.product_type, p.vendor, p.tags`;

export async function findSubjects(
  executor: Executor,
  handles: readonly string[],
): Promise<SuggestionSubject[]> {
  if (handles.length === 0) return [];
  return preparedRows<SuggestionSubject>(
    executor,
    sql`select ${subjectColumns} from products p
         where p.product_id = any(${arrayParam(handles)}::text[])`,
  );
}

/** Products of a filter in handle order, after `after`, at most `limit` (plus one to see more). */
export function filteredSubjects(
  executor: Executor,
  filters: ProductFilters,
  options: { after?: string | undefined; limit: number; gapsOnly?: boolean },
): Promise<SuggestionSubject[]> {
  const conditions: SQL[] = [filterCondition(filters)];
  if (options.after !== undefined) conditions.push(sql`p.product_id > ${options.after}`);
  // Products with something to fill (accept): uncategorised, or a subcategory missing.
  if (options.gapsOnly) {
    conditions.push(
      sql`exists (select 1 from product_state s
                   where s.id = p.id and (s.category_count = 0 or s.incomplete_branches > 0))`,
    );
  }
  return queryRows<SuggestionSubject>(
    executor,
    sql`select ${subjectColumns} from products p
         where ${sql.join(conditions, sql` and `)}
         order by p.product_id
         limit ${options.limit + 1}`,
  );
}

export async function categoriesOfProduct(executor: Executor, id: number): Promise<number[]> {
  const rows = await preparedRows<{ category_id: number }>(
    executor,
    sql`select category_id from product_categories where product_id = ${id}`,
  );
  return rows.map((row) => row.category_id);
}

/**
 * The neighbours of each signal and their most specific categories, counted. The product itself
 * is never its own neighbour, so its own assignments are never evidence. The name neighbours are
 * the NAME_NEIGHBOURS most trigram-similar of the categorised products whose names hold every
 * word of its name (full text, products_name_words_idx), topped up, when fewer than NAME_ENOUGH, by those holding
 * the first half of its words (a trigram `%` scan was 70 ms at 100,000 products: GIN cannot
 * stop early on common trigrams, while an AND of words is served by the rarest word's list);
 * the Type, vendor and tag neighbours are the first GROUP_SAMPLE categorised products of
 * that group (product_state_categorised_type_idx / _vendor_idx).
 */
export function evidence(executor: Executor, subject: SuggestionSubject): Promise<EvidenceRow[]> {
  const tags = subject.tags.slice(0, MAX_TAGS);
  const none = sql`select null::int as id where false`;
  const typeNeighbours = subject.product_type
    ? sql`select id from product_state
           where product_type = ${subject.product_type} and id <> ${subject.id} and category_count > 0
           limit ${GROUP_SAMPLE}`
    : none;
  const vendorNeighbours = subject.vendor
    ? sql`select id from product_state
           where vendor = ${subject.vendor} and id <> ${subject.id} and category_count > 0
           limit ${GROUP_SAMPLE}`
    : none;
  const tagNeighbours =
    tags.length > 0
      ? sql`select p.id from products p join product_state s on s.id = p.id
             where p.tags && ${arrayParam(tags)}::text[] and p.id <> ${subject.id}
               and s.category_count > 0
             limit ${GROUP_SAMPLE}`
      : none;
  const nameWords = nameQueryWords(subject.product_name);
  const all = nameWords.join(' & ');
  const half = nameWords.slice(0, Math.ceil(nameWords.length / 2)).join(' & ');
  const byWords = (query: string) =>
    sql`select p.id, p.product_name from products p join product_state s on s.id = p.id
         where to_tsvector('simple', p.product_name) @@ to_tsquery('simple', ${query})
           and p.id <> ${subject.id} and s.category_count > 0`;
  const nameNeighbours =
    nameWords.length === 0
      ? sql`select null::int as id where false`
      : sql`with every_word as (${byWords(all)} limit ${NAME_CANDIDATES}),
                 first_words as (
                   ${byWords(half)}
                   and (select count(*) from every_word) < ${NAME_ENOUGH}
                   limit ${NAME_CANDIDATES})
            select c.id from (select * from every_word union select * from first_words) c
             order by similarity(c.product_name, ${subject.product_name}) desc, c.id
             limit ${NAME_NEIGHBOURS}`;
  return queryRows<EvidenceRow>(
    executor,
    sql`with name_neighbours as (${nameNeighbours}),
        neighbours as (
          select 'name' as signal, id from name_neighbours
          union all select 'type', id from (${typeNeighbours}) t
          union all select 'vendor', id from (${vendorNeighbours}) v
          union all select 'tags', id from (${tagNeighbours}) g
        ),
        sizes as (select signal, count(*)::int as n from neighbours group by signal),
        -- One index-only probe per neighbour: its assignments, and the most specific of them
        -- (those that are no other assignment's parent).
        specific as (
          select nb.signal, own.category_id
            from neighbours nb
            cross join lateral (
              select array_agg(pc.category_id) as ids, array_agg(pc.parent_category_id) as parents
                from product_categories pc where pc.product_id = nb.id) rows
            cross join lateral unnest(rows.ids) as own(category_id)
           where own.category_id <> all(array_remove(rows.parents, null))
        )
        select sp.signal, sp.category_id, count(*)::int as k, s.n
          from specific sp
          join sizes s on s.signal = sp.signal
         group by sp.signal, sp.category_id, s.n`,
  );
}
