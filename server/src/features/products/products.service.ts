/** Product reads: the filtered, sorted, paginated list, one product, its categories. */
import type {
  CategoryRef,
  CategoryWithPath,
  Pagination,
  Product,
  ProductDetail,
  ProductListMetadata,
  ProductListQuery,
} from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { notFound } from '../../errors.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { decodeCursor, encodeCursor, filtersFingerprint } from './cursor.js';
import { assignmentsOf } from '../assignments/assignments.repository.js';
import { activeFilters, appliedFilters, productFilters, type ProductFilters } from './filters.js';
import {
  catalogCounts,
  countMatches,
  countProducts,
  findProduct,
  findProducts,
  hasExactMatch,
  listProducts,
  reportedEstimate,
  sampleMatches,
  searchWalkBound,
  type ProductRow,
} from './products.repository.js';

/**
 * Up to this many members, a category's page is built from its members (read and sorted: a few
 * milliseconds); above it, by walking the sort index, which finds a page of members quickly
 * when they are common. Measured on 1,000,000 products: a 4,000-product category took 800 ms by
 * the walk and 10 ms members-first.
 */
const MEMBERS_FIRST_MAX = 50_000;

export interface ProductPage {
  products: Product[];
  metadata: ProductListMetadata;
  pagination: Pagination;
}

/**
 * How far a search page walks the sort order before reading every match through the index
 * (listProducts' searchPage), 0 for not at all. Matches spread evenly through the order are met
 * every catalog/matches products, so a page of `limit` would take about limit × catalog /
 * matches rows; real names cluster (all "Backing Rod …" together), and on 1,000,000 products a
 * walk took 4–9 times that. A walk tests ~0.3 µs per product (the name index carries the search
 * document, migration 0029), the index path ~2–5 µs per match: so a term walks only when a
 * uniform walk would find its page within a quarter of the walk's bound. "backing rod" (4,009
 * matches of 1,000,000) walked 20,000 products for nothing under the earlier rule (walk when a
 * uniform walk takes up to the whole bound); through the index it takes 8–10 ms.
 */
function searchWalkRows(
  matches: number,
  catalog: number,
  query: { limit: number; offset: number },
): number {
  const bound = searchWalkBound(catalog);
  const expected = ((query.offset + query.limit + 1) * catalog) / Math.max(matches, 1);
  return expected <= bound / 4 ? bound : 0;
}

export class ProductService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
  ) {}

  /** How many products match `query`'s filters, as the list counts them (estimated above a size). */
  async countMatching(query: ProductFilters): Promise<{ total: number; estimated: boolean }> {
    const filters = productFilters(query);
    // Only a search may be estimated, from the catalog's size: anything else is counted at once
    // (one statement: the queue asks this on every product).
    if (!filters.search) return { total: await countProducts(this.db, filters), estimated: false };
    const catalog = await catalogCounts(this.db);
    const matches = await countMatches(this.db, filters, catalog.products, catalog);
    return { total: matches.total, estimated: matches.estimated };
  }

  async list(query: ProductListQuery): Promise<ProductPage> {
    const filters = productFilters(query);
    const fingerprint = filtersFingerprint(filters);
    const position = query.cursor ? decodeCursor(query.cursor, query.sort, fingerprint) : undefined;
    const page = position ? position.page : Math.floor(query.offset / query.limit) + 1;

    const filtered = activeFilters(filters).length > 0;
    // What the page needs first, read at once: the category index, the catalog's counters and
    // (searching page 1) whether some product has the term as its whole SKU or handle.
    const [index, catalog, exactFirst] = await Promise.all([
      this.categories.index(),
      catalogCounts(this.db),
      // Exact SKU or handle matches first: decided on the first page, carried by the cursor.
      position ? position.rank !== undefined : hasExactMatch(this.db, filters),
    ]);
    const totalProducts = catalog.products;
    const categorySize =
      filters.category_id === undefined ? undefined : index.get(filters.category_id)?.product_count;
    const pageRows = (walkRows: number | undefined, countMatches = false) =>
      listProducts(this.db, filters, {
        sort: query.sort,
        limit: query.limit + 1,
        offset: query.offset,
        after: position && { value: position.value, id: position.id, rank: position.rank },
        exactFirst: exactFirst ? filters.search : undefined,
        membersFirst: categorySize !== undefined && categorySize <= MEMBERS_FIRST_MAX,
        walkRows,
        countMatches,
      });
    const counted = () => countMatches(this.db, filters, totalProducts, catalog);
    let matches: { total: number; estimated: boolean };
    let rows: Awaited<ReturnType<typeof pageRows>>;
    if (!filtered) {
      matches = { total: totalProducts, estimated: false };
      rows = await pageRows(undefined);
    } else if (filters.search) {
      // A search page's plan depends on how common the term is. A big catalog samples it: a
      // common term's page walks the sort order and its count is estimated; a rarer term's page
      // reads every match through the index, and the same statement counts them exactly. A
      // small catalog counts exactly first, then decides.
      const sampled = await sampleMatches(this.db, filters, totalProducts);
      const common = sampled ?? (await countProducts(this.db, filters, catalog));
      const walkRows = searchWalkRows(common, totalProducts, query);
      rows = await pageRows(walkRows, walkRows === 0 && sampled !== undefined);
      const exact = (sampled === undefined ? common : rows[0]?.match_total) ?? undefined;
      matches =
        exact !== undefined
          ? { total: exact, estimated: false }
          : (reportedEstimate(sampled) ?? {
              total: await countProducts(this.db, filters, catalog),
              estimated: false,
            });
    } else {
      [matches, rows] = await Promise.all([counted(), pageRows(undefined)]);
    }
    const items = rows.slice(0, query.limit);
    const hasNext = rows.length > query.limit;
    // An estimate never claims fewer items than the page proves to exist.
    const totalItems =
      matches.estimated && items.length > 0
        ? Math.max(matches.total, (page - 1) * query.limit + items.length + (hasNext ? 1 : 0))
        : matches.total;
    const last = items.at(-1);
    const categoriesByProduct = await this.categoryRefs(index, items);

    return {
      products: items.map((row) => toProduct(row, categoriesByProduct.get(row.id) ?? [])),
      metadata: {
        total_products: totalProducts,
        filtered_products: totalItems,
        count_estimated: matches.estimated,
        filters: appliedFilters(filters),
        sort: query.sort,
      },
      pagination: {
        page,
        page_size: query.limit,
        total_items: totalItems,
        total_pages: Math.ceil(totalItems / query.limit),
        has_next: hasNext,
        has_previous: position ? page > 1 : query.offset > 0,
        next_cursor:
          hasNext && last
            ? encodeCursor({
                sort: query.sort,
                value: last.sort_value,
                id: last.id,
                page: page + 1,
                filters: fingerprint,
                rank: last.rank ?? undefined,
              })
            : null,
      },
    };
  }

  /** List rows of these products, in the order given (unknown handles are left out). */
  async rows(handles: readonly string[]): Promise<Product[]> {
    if (handles.length === 0) return [];
    const [index, rows] = await Promise.all([
      this.categories.index(),
      findProducts(this.db, handles),
    ]);
    const categoriesByProduct = await this.categoryRefs(index, rows);
    const byHandle = new Map(
      rows.map((row) => [row.product_id, toProduct(row, categoriesByProduct.get(row.id) ?? [])]),
    );
    return handles.flatMap((handle) => byHandle.get(handle) ?? []);
  }

  /** One product; `executor` is a write's transaction when a precondition reads it. */
  async get(handle: string, executor: Executor = this.db): Promise<ProductDetail> {
    const row = await findProduct(executor, handle);
    if (!row) throw notFound('product', handle);
    const categories = await this.categoriesWithPaths(row.id, executor);
    return {
      ...toProduct(
        row,
        categories.map(({ id, name, level }) => ({ id, name, level })),
      ),
      categories,
      created_at: row.created_at,
      description: row.description,
    };
  }

  async categoriesOf(handle: string): Promise<CategoryWithPath[]> {
    const row = await findProduct(this.db, handle);
    if (!row) throw notFound('product', handle);
    return this.categoriesWithPaths(row.id);
  }

  private async categoriesWithPaths(
    productId: number,
    executor: Executor = this.db,
  ): Promise<CategoryWithPath[]> {
    const [index, assignments] = await Promise.all([
      this.categories.index(executor),
      assignmentsOf(executor, [productId]),
    ]);
    return index
      .sortForDisplay(assignments.map((row) => row.category_id))
      .map((id) => index.withPath(id));
  }

  private async categoryRefs(index: CategoryIndex, rows: ProductRow[]) {
    const assignments = await assignmentsOf(
      this.db,
      rows.filter((row) => row.category_count > 0).map((row) => row.id),
    );
    const idsByProduct = new Map<number, number[]>();
    for (const row of assignments) {
      const ids = idsByProduct.get(row.product_id);
      if (ids) ids.push(row.category_id);
      else idsByProduct.set(row.product_id, [row.category_id]);
    }
    const refs = new Map<number, CategoryRef[]>();
    for (const [productId, ids] of idsByProduct) {
      refs.set(
        productId,
        index.sortForDisplay(ids).map((id) => index.ref(id)),
      );
    }
    return refs;
  }
}

/** The one row → JSON mapping of a product. */
export function toProduct(row: ProductRow, categories: CategoryRef[]): Product {
  return {
    product_id: row.product_id,
    product_name: row.product_name,
    vendor: row.vendor,
    product_type: row.product_type,
    status: row.status,
    sku: row.sku,
    image_url: row.image_url,
    tags: row.tags,
    has_allocations: row.category_count > 0,
    category_count: row.category_count,
    categories,
    last_modified: row.last_modified,
  };
}
