/**
 * Category suggestions, learned at request time from the catalog's current assignments (no
 * precomputed model: an assignment changes the next answer at once, and nothing is cached).
 *
 * Five signals each give every candidate category a share p in [0, 1]:
 *  - name:   k of the n most similar categorised names are in it (trigram similarity);
 *  - type:   k of n categorised products with the same Shopify Type are in it;
 *  - vendor: k of n categorised products of the same vendor are in it;
 *  - tags:   k of n categorised products sharing one of its tags are in it;
 *  - words:  the category's name appears among the words of the product's name and handle.
 * For the counted signals p = k / (n + 1) (one pseudo-count, so "1 of 1" is 0.5, not certain).
 * The score is the weighted mean over the signals that have any evidence for this product,
 * score = Σ w·p / max(Σ w of those signals, MIN_WEIGHT): a product known only by its vendor
 * cannot reach a high score. Each reason's weight is its share of the score.
 */
import type {
  AcceptSuggestions,
  AcceptSuggestionsBody,
  BulkSuggestions,
  BulkSuggestionsBody,
  ProductSuggestions,
  Suggestion,
  SuggestionReason,
} from '@tag-manager/contract';
import { SUGGESTIONS_BULK_MAX_PRODUCTS } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { notFound, validationError } from '../../errors.js';
import { fillsGap } from '../assignments/assignment-rules.js';
import type { AssignmentService } from '../assignments/assignments.service.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { CategoryIndex } from '../categories/category-index.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { productFilters } from '../products/filters.js';
import {
  categoriesOfProduct,
  evidence,
  filteredSubjects,
  findSubjects,
  type EvidenceSignal,
  type SuggestionSubject,
} from './suggestions.repository.js';

export type Signal = SuggestionReason['signal'];

export const SIGNAL_WEIGHTS: Readonly<Record<Signal, number>> = {
  name: 0.35,
  type: 0.3,
  vendor: 0.15,
  tags: 0.1,
  words: 0.1,
};
/** The least denominator of the weighted mean (see the file comment). */
export const MIN_WEIGHT = 0.5;

export interface SuggestOptions {
  limit: number;
  /**
   * Treat the product as uncategorised (leave-one-out evaluation): its own categories are not
   * left out of the answer. Its assignments are never evidence either way.
   */
  hideOwnCategories?: boolean;
  /** Signals to ignore (evaluation: the signal the labels came from). */
  disabled?: readonly Signal[];
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower-cased words of 3+ characters, with a plural "s" dropped ("sealants" = "sealant"). */
export function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? [])
    .filter((word) => word.length >= 3)
    .map((word) =>
      word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word,
    );
}

interface Candidate {
  parts: Map<Signal, { p: number; text: string }>;
}

function reasonText(signal: EvidenceSignal, subject: SuggestionSubject, k: number, n: number) {
  const kOfN = `${k.toLocaleString('en-US')} of ${n.toLocaleString('en-US')}`;
  switch (signal) {
    case 'name':
      return `${kOfN} products named like this are in it`;
    case 'type':
      return `Type is '${subject.product_type}': ${kOfN} such products are in it`;
    case 'vendor':
      return k * 2 > n
        ? `most ${subject.vendor} products are in it (${kOfN})`
        : `${kOfN} ${subject.vendor} products are in it`;
    case 'tags':
      return `${kOfN} products sharing its tags are in it`;
  }
}

export class SuggestionService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
    private readonly assignments: AssignmentService,
  ) {}

  /** GET /api/products/{product_id}/suggestions: unknown product → 404. */
  async forProduct(handle: string, limit: number): Promise<ProductSuggestions> {
    const [[subject], index] = await Promise.all([
      findSubjects(this.db, [handle]),
      this.categories.index(),
    ]);
    if (!subject) throw notFound('product', handle);
    return this.suggest(subject, index, { limit });
  }

  /** The engine, for one product already loaded (the evaluation calls it directly). */
  async suggest(
    subject: SuggestionSubject,
    index: CategoryIndex,
    options: SuggestOptions,
  ): Promise<ProductSuggestions> {
    const disabled = new Set(options.disabled ?? []);
    const [rows, own] = await Promise.all([
      evidence(this.db, subject),
      options.hideOwnCategories ? Promise.resolve([]) : categoriesOfProduct(this.db, subject.id),
    ]);
    const excluded = new Set(own);
    const candidates = new Map<number, Candidate>();
    const available = new Set<Signal>();
    const add = (categoryId: number, signal: Signal, p: number, text: string) => {
      if (excluded.has(categoryId) || !index.has(categoryId) || disabled.has(signal)) return;
      available.add(signal);
      let candidate = candidates.get(categoryId);
      if (!candidate) candidates.set(categoryId, (candidate = { parts: new Map() }));
      candidate.parts.set(signal, { p, text });
    };
    for (const row of rows) {
      add(
        row.category_id,
        row.signal,
        row.k / (row.n + 1),
        reasonText(row.signal, subject, row.k, row.n),
      );
    }
    if (!disabled.has('words')) {
      const productWords = new Set([...words(subject.product_name), ...words(subject.product_id)]);
      for (const row of index.rows) {
        const nameWords = words(row.name);
        if (nameWords.length === 0) continue;
        const matched = nameWords.filter((word) => productWords.has(word)).length;
        if (matched === nameWords.length) {
          add(row.id, 'words', 1, `its name mentions '${row.name}'`);
        }
      }
    }
    const denominator = Math.max(
      MIN_WEIGHT,
      [...available].reduce((total, signal) => total + SIGNAL_WEIGHTS[signal], 0),
    );
    const suggestions: Suggestion[] = [...candidates.entries()].map(([categoryId, candidate]) => {
      const contributions = [...candidate.parts.entries()].map(([signal, part]) => ({
        signal,
        text: part.text,
        value: SIGNAL_WEIGHTS[signal] * part.p,
      }));
      const total = contributions.reduce((sum, part) => sum + part.value, 0);
      const reasons: SuggestionReason[] = contributions
        .sort((a, b) => b.value - a.value)
        .map((part) => ({
          signal: part.signal,
          text: part.text,
          weight: round(total > 0 ? part.value / total : 0),
        }));
      return {
        category: index.withPath(categoryId),
        score: round(Math.min(1, total / denominator)),
        reasons,
      };
    });
    suggestions.sort(
      (a, b) =>
        b.score - a.score ||
        b.category.level - a.category.level ||
        a.category.path.localeCompare(b.category.path),
    );
    return { product_id: subject.product_id, suggestions: suggestions.slice(0, options.limit) };
  }

  /** POST /api/suggestions: the products named, or a page of a filter in handle order. */
  async bulk(body: BulkSuggestionsBody): Promise<BulkSuggestions> {
    const selection = await this.select(body, false);
    const index = await this.categories.index();
    const items = await inParallel(selection.subjects, (subject) =>
      this.suggest(subject, index, { limit: body.limit }),
    );
    return { items, missing: selection.missing, next_after: selection.nextAfter };
  }

  /**
   * POST /api/suggestions/accept: fills each product's gap with its best suggestion when the
   * score is at least min_score, previewed (dry_run) or assigned as one bulk.assign change set.
   * The gap (`fillsGap`, docs/work-queue.md): an uncategorised product takes its top suggestion;
   * a product whose subcategory is missing takes its best suggestion below the open branch. A
   * product with nothing missing (or that gets it before the write) is left alone.
   */
  async accept(body: AcceptSuggestionsBody, context: WriteContext): Promise<AcceptSuggestions> {
    const selection = await this.select(body, true);
    const index = await this.categories.index();
    const skipped: string[] = [];
    const accepted: AcceptSuggestions['accepted'] = [];
    let below = 0;
    let without = 0;
    const own = await inParallel(selection.subjects, (subject) =>
      categoriesOfProduct(this.db, subject.id),
    );
    const answers = await inParallel(selection.subjects, async (subject, position) => {
      const current = new Set(own[position]);
      if (current.size === 0) return this.suggest(subject, index, { limit: 1 });
      if (!hasOpenBranch(index, current)) return null;
      // Subcategory missing: the best suggestion below an open branch (ranked as ever).
      const all = await this.suggest(subject, index, { limit: index.size });
      return {
        ...all,
        suggestions: all.suggestions
          .filter((suggestion) => fillsGap(index, current, suggestion.category.id))
          .slice(0, 1),
      };
    });
    for (const [position, subject] of selection.subjects.entries()) {
      const answer = answers[position];
      if (!answer) {
        skipped.push(subject.product_id);
        continue;
      }
      const top = answer.suggestions[0];
      if (!top) without += 1;
      else if (top.score < body.min_score) below += 1;
      else
        accepted.push({ product_id: subject.product_id, category: top.category, score: top.score });
    }
    let written = accepted;
    if (!body.dry_run && accepted.length > 0) {
      const outcome = await this.assignments.assignEachFillingGap(
        accepted.map((item) => ({ handle: item.product_id, categoryId: item.category.id })),
        context,
      );
      const meanwhile = new Set(outcome.skipped);
      skipped.push(...outcome.skipped);
      written = accepted.filter((item) => !meanwhile.has(item.product_id));
    }
    return {
      dry_run: body.dry_run,
      products_considered: selection.subjects.length,
      accepted_count: written.length,
      below_score: below,
      without_suggestion: without,
      skipped_categorised: skipped,
      missing: selection.missing,
      accepted: written,
      has_more: selection.nextAfter !== null,
    };
  }

  private async select(
    body: {
      product_ids?: string[] | undefined;
      filter?: object | undefined;
      after?: string | undefined;
    },
    gapsOnly: boolean,
  ): Promise<{ subjects: SuggestionSubject[]; missing: string[]; nextAfter: string | null }> {
    if (body.product_ids !== undefined && body.filter !== undefined) {
      throw validationError([
        { field: 'product_ids', message: 'give product_ids or filter, not both' },
      ]);
    }
    if (body.product_ids) {
      if (body.after !== undefined) {
        throw validationError([{ field: 'after', message: 'after goes with filter only' }]);
      }
      const found = await findSubjects(this.db, body.product_ids);
      const byHandle = new Map(found.map((row) => [row.product_id, row]));
      return {
        subjects: body.product_ids.flatMap((handle) => byHandle.get(handle) ?? []),
        missing: body.product_ids.filter((handle) => !byHandle.has(handle)),
        nextAfter: null,
      };
    }
    const filters = productFilters((body.filter ?? {}) as Parameters<typeof productFilters>[0]);
    const rows = await filteredSubjects(this.db, filters, {
      after: body.after,
      limit: SUGGESTIONS_BULK_MAX_PRODUCTS,
      gapsOnly,
    });
    const subjects = rows.slice(0, SUGGESTIONS_BULK_MAX_PRODUCTS);
    return {
      subjects,
      missing: [],
      nextAfter: rows.length > subjects.length ? subjects.at(-1)!.product_id : null,
    };
  }
}

/** Whether some assigned category has children, none of them assigned (subcategory missing). */
function hasOpenBranch(index: CategoryIndex, current: ReadonlySet<number>): boolean {
  return [...current].some((id) => {
    const children = index.children(id);
    return children.length > 0 && children.every((child) => !current.has(child.id));
  });
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Products answered at once by a bulk request: a few pool connections, never all of them. */
const BULK_CONCURRENCY = 4;

async function inParallel<Item, Result>(
  items: readonly Item[],
  work: (item: Item, position: number) => Promise<Result> | Result,
): Promise<Result[]> {
  const results: Result[] = new Array<Result>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const position = next++;
      results[position] = await work(items[position]!, position);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, items.length) }, worker));
  return results;
}
