/**
 * Every kind in the change-kind table, taken from the table itself (a new kind must get a
 * scenario here, or this file does not compile): a write of that kind through the API
 *
 * - records one change set of that kind, whose event names the kind and the actor;
 * - bumps the namespaces its definition names (their versions change in the shared store), and
 *   a read on a second instance (PostgreSQL + Redis; on PGlite the same instance) shows it;
 * - can be undone as its table entry says: for every `exact` kind, POST /api/changes/{id}/undo
 *   brings the tables back to their content before the write (checksums), and undoing that undo
 *   brings them to their content after it; `revoke` revokes the token; `none` answers 409.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleTree, createProducts, shopifyCsv } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';
import { Namespaces, WriteEffects } from '../../cache/namespaces.js';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { seedCatalog } from '../seed/seeder.js';
import {
  changeEvent,
  ChangeKinds,
  changeKinds,
  namespacesBumpedBy,
  type ChangeKind,
  type ChangePayloads,
} from './change-kinds.js';

const REDIS = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  CACHE_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}`,
};

let writer: TestApp;
let reader: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;
/** Categories the move and merge scenarios restructure (made in beforeAll). */
const restructured = { moved: 0, moveTarget: 0, mergeFrom: 0, mergeInto: 0, merged: 0 };
const handles = Array.from({ length: 13 }, (_, at) => `p-${String(at + 1).padStart(3, '0')}`);

beforeAll(async () => {
  const postgres = process.env.TEST_DATABASE !== 'pglite';
  writer = await createTestApp(postgres ? REDIS : {});
  reader = postgres ? await writer.peer(REDIS) : writer;
  tree = await createSampleTree(writer);
  await createProducts(writer, handles.length);
  // Something to remove.
  for (const handle of ['p-005', 'p-006', 'p-007']) {
    const response = await writer.request({
      method: 'POST',
      url: `/api/products/${handle}/categories`,
      payload: { category_ids: [tree.neutralCure.id] },
    });
    expect(response.statusCode).toBe(201);
  }
  const create = async (name: string, parentId: number) => {
    const response = await writer.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name, parent_id: parentId },
    });
    expect(response.statusCode).toBe(201);
    return response.json().data.id as number;
  };
  restructured.moveTarget = await create('Kinds Move Target', tree.tools.id);
  restructured.moved = await create('Kinds Moved', tree.guns.id);
  restructured.mergeFrom = await create('Kinds Merge From', tree.sealants.id);
  restructured.mergeInto = await create('Kinds Merge Into', tree.sealants.id);
  // A merge made here, whose undo is the `category.unmerge` scenario.
  const unmergeFrom = await create('Kinds Unmerge From', tree.tools.id);
  const unmergeChild = await create('Kinds Unmerge Child', unmergeFrom);
  const unmergeInto = await create('Kinds Unmerge Into', tree.tools.id);
  for (const [handle, id] of [
    ['p-010', restructured.moved],
    ['p-011', restructured.mergeFrom],
    ['p-012', unmergeChild],
    ['p-013', unmergeInto],
  ] as const) {
    const response = await writer.request({
      method: 'POST',
      url: `/api/products/${handle}/categories`,
      payload: { category_ids: [id] },
    });
    expect(response.statusCode).toBe(201);
  }
  const merged = await writer.request({
    method: 'POST',
    url: `/api/categories/${unmergeFrom}/merge`,
    payload: { into_id: unmergeInto },
  });
  expect(merged.statusCode, merged.body).toBe(200);
  restructured.merged = merged.json().data.change_set_id as number;
});
afterAll(async () => {
  if (reader !== writer) await reader?.close();
  await writer?.close();
  const redis = new Redis(REDIS.REDIS_URL);
  const keys = await redis.keys(`${REDIS.CACHE_KEY_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

interface StoredChange {
  id: number;
  kind: string;
  actor: string;
  source: string;
  product_ids: number[];
  category_ids: number[];
  before: unknown;
  after: unknown;
}

const latestChange = (db: Executor) =>
  queryOne<StoredChange>(
    db,
    sql`select id::int as id, kind, actor, source, product_ids, category_ids, before, after
          from change_sets order by id desc limit 1`,
  );

function payloadOf<Kind extends ChangeKind>(change: StoredChange): ChangePayloads[Kind] {
  return {
    productIds: change.product_ids,
    categoryIds: change.category_ids,
    before: change.before,
    after: change.after,
  } as unknown as ChangePayloads[Kind];
}

/** The tables' content, timestamps aside (an inverse cannot give back the time). */
async function content(db: Executor): Promise<Record<string, string>> {
  const queries = {
    products: sql`select md5(coalesce(string_agg((id, product_id, products.product_name, products.vendor, products.product_type, status, sku, image_url, tags, category_count)::text, '|' order by id), '')) as hash from products join product_state using (id)`,
    categories: sql`select md5(coalesce(string_agg((id, name, level, parent_id, product_count)::text, '|' order by id), '')) as hash from categories`,
    product_categories: sql`select md5(coalesce(string_agg((product_id, category_id, category_level, parent_category_id)::text, '|' order by product_id, category_id), '')) as hash from product_categories`,
    catalog_counters: sql`select md5(coalesce((select (sum(products), sum(categorized), sum(active), sum(draft), sum(archived))::text from catalog_counters), '')) as hash`,
    api_tokens: sql`select md5(coalesce(string_agg((id, name, role, revoked_at)::text, '|' order by id), '')) as hash from api_tokens`,
  };
  const result: Record<string, string> = {};
  for (const [table, query] of Object.entries(queries)) {
    result[table] = (await queryOne<{ hash: string }>(db, query))!.hash;
  }
  return result;
}

/** The kind an undo of `kind` is recorded as (the table's `inverseKind`). */
function inverseKind(kind: ChangeKind): string {
  const undo = ChangeKinds[kind].undo;
  return 'inverseKind' in undo ? undo.inverseKind : '';
}

interface Scenario {
  /** A read (on the other instance) whose answer the write changes. */
  read: string;
  write: (test: TestApp) => Promise<{ statusCode: number }>;
}

const post = (url: string, payload: object) => (test: TestApp) =>
  test.request({ method: 'POST', url, payload });

/** One write of each kind. Typed by the table: a kind without a scenario does not compile. */
const scenarios: Record<ChangeKind, Scenario> = {
  'product.assign': {
    read: '/api/products/p-001',
    write: (test) =>
      post('/api/products/p-001/categories', { category_ids: [tree0('batteryGuns')] })(test),
  },
  'product.remove': {
    read: '/api/products/p-005',
    write: (test) =>
      test.request({
        method: 'DELETE',
        url: `/api/products/p-005/categories/${tree0('silicone')}`,
      }),
  },
  'bulk.assign': {
    read: '/api/products/p-003',
    write: (test) =>
      post('/api/bulk/assign', {
        product_ids: ['p-002', 'p-003', 'p-004', 'p-005'],
        category_ids: [tree0('trowels'), tree0('neutralCure')],
      })(test),
  },
  'bulk.remove': {
    read: '/api/products/p-006',
    write: (test) =>
      post('/api/bulk/remove', {
        product_ids: ['p-006', 'p-007'],
        category_ids: [tree0('sealants')],
      })(test),
  },
  'category.create': {
    read: '/api/categories',
    write: (test) => post('/api/categories', { name: 'Kinds New', parent_id: tree0('guns') })(test),
  },
  'category.rename': {
    read: '/api/categories',
    write: (test) =>
      test.request({
        method: 'PATCH',
        url: `/api/categories/${tree0('trowels')}`,
        payload: { name: 'Trowels & Floats' },
      }),
  },
  'category.delete': {
    read: '/api/categories',
    write: (test) =>
      test.request({ method: 'DELETE', url: `/api/categories/${tree0('manualGuns')}` }),
  },
  'category.move': {
    read: '/api/products/p-010',
    write: (test) =>
      post(`/api/categories/${restructured.moved}/move`, {
        parent_id: restructured.moveTarget,
      })(test),
  },
  'category.merge': {
    read: '/api/products/p-011',
    write: (test) =>
      post(`/api/categories/${restructured.mergeFrom}/merge`, {
        into_id: restructured.mergeInto,
      })(test),
  },
  'category.unmerge': {
    read: '/api/products/p-012',
    write: (test) => post(`/api/changes/${restructured.merged}/undo`, {})(test),
  },
  'import.products': {
    read: '/api/products?limit=100',
    write: (test) =>
      test.request({
        method: 'POST',
        url: '/api/import/products',
        headers: { 'content-type': 'text/csv' },
        payload: shopifyCsv([
          { handle: 'p-001', title: 'Product 001 renamed' },
          { handle: 'kinds-new', title: 'Kinds New Product' },
        ]),
      }),
  },
  'import.assignments': {
    read: '/api/products/p-006',
    write: (test) =>
      test.request({
        method: 'POST',
        url: '/api/import/assignments',
        headers: { 'content-type': 'text/csv' },
        payload:
          'product_id,product_name,categories\n' +
          'p-006,x,Trade Tools > Trowels\n' +
          'p-008,x,Sealants > Silicone; Trade Tools > Caulking Guns > Battery Guns\n',
      }),
  },
  'import.categories': {
    read: '/api/categories',
    write: post('/api/import/categories', [
      { category_name: 'Kinds Root', category_level: 'Level 1 Category', connected_to: null },
      {
        category_name: 'Kinds Child',
        category_level: 'Level 2 Category',
        connected_to: 'Kinds Root',
      },
      { category_name: 'SEALANTS', category_level: 'Level 1 Category', connected_to: null },
    ] as unknown as object),
  },
  'token.create': {
    read: '/api/tokens',
    write: post('/api/tokens', { name: 'kinds token', role: 'viewer' }),
  },
  'token.revoke': {
    read: '/api/tokens',
    write: async (test) => {
      const created = await test.request({
        method: 'POST',
        url: '/api/tokens',
        payload: { name: 'kinds revoked', role: 'viewer' },
      });
      return test.request({ method: 'DELETE', url: `/api/tokens/${created.json().data.id}` });
    },
  },
  // Not an API write: what scripts/seed.ts does (load, then bump what the table says).
  seed: {
    read: '/api/stats',
    write: async (test) => {
      await seedCatalog(test.database, { products: 40, reset: true });
      const change = (await latestChange(test.db))!;
      await test.app.cache.changed(namespacesBumpedBy('seed', payloadOf<'seed'>(change)));
      return { statusCode: 200 };
    },
  },
  // Runs after the seed (below): there is sample data to remove.
  'sample.remove': {
    read: '/api/stats',
    write: (test) => test.request({ method: 'DELETE', url: '/api/sample-data' }),
  },
};

/** The sample tree's ids, read when a scenario runs (the tree is made in beforeAll). */
function tree0(name: keyof typeof tree): number {
  return tree[name].id;
}

/** Every namespace a write could bump here, with its version in the shared store now. */
async function versions(test: TestApp): Promise<Map<string, string>> {
  const names = [
    ...WriteEffects.everything(),
    ...[...handles, 'kinds-new'].map((handle) => Namespaces.product(handle)),
  ];
  const values = await test.app.cache.backend.getVersions(names);
  const offset = values.length - names.length;
  return new Map(names.map((name, at) => [name, String(values[offset + at])]));
}

const dataOf = (response: { json(): unknown }) => (response.json() as { data: unknown }).data;

// Seeding empties the database: it goes last, whatever its place in the table, followed only by
// the removal of the sample data it wrote.
const rank = (kind: ChangeKind) => (kind === 'seed' ? 1 : kind === 'sample.remove' ? 2 : 0);
const order = [...changeKinds].sort((a, b) => rank(a) - rank(b));

describe('the change-kind table', () => {
  it('defines every kind with its reversibility, and only tokens bump no cache namespace', () => {
    expect(changeKinds.length).toBeGreaterThanOrEqual(12);
    for (const kind of changeKinds) {
      expect(['exact', 'revoke', 'none']).toContain(ChangeKinds[kind].reversible);
    }
  });

  it('is the only way writes record change sets and bump the cache', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const files = (await readdir(root, { recursive: true })).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    const callers = { recordChange: [] as string[], changed: [] as string[] };
    for (const file of files) {
      const text = await readFile(`${root}${file}`, 'utf8');
      if (/\brecordChange\(/.test(text)) callers.recordChange.push(file);
      if (/\.changed\(/.test(text)) callers.changed.push(file);
    }
    // The seeder loads outside one transaction and outside the app (scripts/seed.ts bumps).
    expect(callers.recordChange.sort()).toEqual([
      'features/changes/apply-change.ts',
      'features/seed/seeder.ts',
    ]);
    // app.ts builds the app's notifier, which forwards `changed` to the cache (and `committed`
    // to the live-update feed): a relay, not a write.
    expect(callers.changed.sort()).toEqual(['app.ts', 'features/changes/apply-change.ts']);
  });

  it.each(order)('%s: records a change set, bumps the cache, carries its inverse', async (kind) => {
    const scenario = scenarios[kind];
    const readBefore = await reader.request(scenario.read);
    expect(readBefore.statusCode).toBe(200);
    // Served from the cache from here on (on the instance that will not write).
    const warmed = await reader.request(scenario.read);
    expect(dataOf(warmed)).toEqual(dataOf(readBefore));
    const versionsBefore = await versions(reader);
    const contentBefore = await content(writer.db);
    const lastBefore = (await latestChange(writer.db))?.id ?? 0;

    const response = await scenario.write(writer);
    expect(response.statusCode, kind).toBeLessThan(300);

    const change = (await latestChange(writer.db))!;
    expect(change.kind).toBe(kind);
    if (kind !== 'seed') expect(change.id).toBeGreaterThan(lastBefore);
    const changesOfWrite = await queryRows<{ n: number }>(
      writer.db,
      sql`select count(*)::int as n from change_sets where id > ${lastBefore}`,
    );
    // token.revoke's scenario creates the token it revokes first.
    if (kind !== 'seed') expect(changesOfWrite[0]!.n).toBe(kind === 'token.revoke' ? 2 : 1);
    const payload = payloadOf<typeof kind>(change);

    const event = changeEvent(kind, { actor: change.actor, source: 'api' }, payload);
    expect(event.kind).toBe(kind);
    expect(event.actor).toBe(change.actor);
    expect(event.handles.length).toBeLessThanOrEqual(event.product_count);
    for (const count of Object.values(event.counts)) expect(count).toEqual(expect.any(Number));

    const bumped = namespacesBumpedBy(kind, payload);
    if (kind.startsWith('token.')) {
      expect(bumped).toEqual([]);
    } else {
      expect(bumped.length).toBeGreaterThan(0);
      const versionsAfter = await versions(reader);
      for (const name of bumped) {
        expect(versionsAfter.get(name), `${kind} bumps ${name}`).not.toBe(versionsBefore.get(name));
      }
    }
    const readAfter = await reader.request(scenario.read);
    expect(readAfter.statusCode).toBe(200);
    expect(dataOf(readAfter), `${kind} shows on ${scenario.read}`).not.toEqual(dataOf(readBefore));
    expect(await invariantViolations(writer.db)).toEqual([]);

    const reversible = ChangeKinds[kind].reversible;
    const undo = (id: number) =>
      writer.request({ method: 'POST', url: `/api/changes/${id}/undo`, payload: {} });
    if (reversible === 'exact') {
      const contentAfter = await content(writer.db);
      expect(contentAfter).not.toEqual(contentBefore);
      // Undone through the API, from the stored payload (the kind's undo definition).
      const undone = await undo(change.id);
      expect(undone.statusCode, undone.body).toBe(200);
      const undoId = undone.json().data.change_set_id as number;
      expect(undoId).toBeGreaterThan(change.id);
      expect(await content(writer.db), `${kind} undone exactly`).toEqual(contentBefore);
      expect(await invariantViolations(writer.db)).toEqual([]);
      const recorded = (await latestChange(writer.db))!;
      expect(recorded.id).toBe(undoId);
      expect(recorded.kind).toBe(inverseKind(kind));
      // Undoing the undo redoes the write, exactly.
      const redone = await undo(undoId);
      expect(redone.statusCode, redone.body).toBe(200);
      expect(await content(writer.db), `${kind} redone exactly`).toEqual(contentAfter);
      expect(await invariantViolations(writer.db)).toEqual([]);
      // Each can be undone once.
      const again = await undo(change.id);
      expect(again.statusCode).toBe(409);
      expect(again.json().details.reason).toBe('already_undone');
      // Undoing the redo leaves the tables as before the write, for the scenarios that follow.
      const last = await undo(redone.json().data.change_set_id as number);
      expect(last.statusCode, last.body).toBe(200);
      expect(await content(writer.db)).toEqual(contentBefore);
      expect(await invariantViolations(writer.db)).toEqual([]);
    } else if (reversible === 'revoke') {
      const id = (payload as ChangePayloads['token.create']).after.id;
      const undone = await undo(change.id);
      expect(undone.statusCode, undone.body).toBe(200);
      const tokens = await writer.request('/api/tokens');
      const token = (tokens.json().data as { id: number; revoked_at: string | null }[]).find(
        (item) => item.id === id,
      );
      expect(token?.revoked_at).toEqual(expect.any(String));
      // A revocation is final: its undo is refused.
      const back = await undo(undone.json().data.change_set_id as number);
      expect(back.statusCode).toBe(409);
      expect(back.json().details.reason).toBe('not_reversible');
    } else {
      const before = await content(writer.db);
      const refused = await undo(change.id);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().details).toMatchObject({ reason: 'not_reversible', kind });
      expect(refused.json().error).toContain('cannot be undone');
      expect(await content(writer.db)).toEqual(before);
    }
  });
});
