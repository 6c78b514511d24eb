/** The change-set log: every write records who, when, what kind, which ids, before → after. */
import { sql } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam, isoTime } from '../../db/sql.js';
import type { ChangeKind, ChangePayloads } from './change-kinds.js';

export type ChangeSource = 'api' | 'import' | 'cli' | 'seed' | 'system';

/** Who is writing and through what: passed from the edge (route, CLI) into every write. */
export interface WriteContext {
  actor: string;
  source: ChangeSource;
  requestId?: string | undefined;
  /** The job whose batch writes (issue 13): recorded as the change set's job_id. */
  jobId?: number | undefined;
}

/**
 * Stores one change set. Writes call it through applyChange (apply-change.ts); only the seeder,
 * which loads outside one transaction and outside the app's cache, calls it directly.
 */
export async function recordChange<Kind extends ChangeKind>(
  executor: Executor,
  context: WriteContext,
  change: ChangePayloads[Kind] & { kind: Kind },
): Promise<void> {
  await executor.execute(sql`
    insert into change_sets (actor, source, kind, request_id, job_id, product_ids, category_ids, before, after)
    values (${context.actor}, ${context.source}, ${change.kind}, ${context.requestId ?? null},
            ${context.jobId ?? null},
            ${arrayParam(change.productIds)}::integer[], ${arrayParam(change.categoryIds)}::integer[],
            ${JSON.stringify(change.before)}::jsonb, ${JSON.stringify(change.after)}::jsonb)`);
}

export interface ChangeRow {
  id: number;
  created_at: string;
  actor: string;
  source: string;
  kind: string;
  request_id: string | null;
  product_ids: number[];
  category_ids: number[];
  before: unknown;
  after: unknown;
}

export async function listChanges(executor: Executor, limit: number, offset: number) {
  const rows = await queryRows<ChangeRow>(
    executor,
    sql`select id, ${isoTime(sql`created_at`)} as created_at, actor, source, kind, request_id,
               product_ids, category_ids, before, after
          from change_sets order by id desc limit ${limit} offset ${offset}`,
  );
  const total = await queryOne<{ total: number }>(
    executor,
    sql`select count(*)::int as total from change_sets`,
  );
  return { rows, total: total?.total ?? 0 };
}
