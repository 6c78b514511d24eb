/**
 * The embedded database's thread: PGlite (PostgreSQL compiled to WASM) runs here, so a slow
 * statement blocks this worker and never the server's event loop. server/src/db/pglite-thread.ts
 * starts it and speaks to it with one message per statement, one statement at a time.
 *
 * Plain JavaScript on purpose: it only needs PGlite, and it must start the same way under tsx
 * (npm start, the scripts) and under Vitest, neither of which hands a TypeScript loader to workers.
 *
 * Messages in:  { id, op: 'query', sql, params, rowMode, identityOids } | { id, op: 'close' }
 * Messages out: { type: 'ready' } | { type: 'failed', error } | { id, ok: true, result }
 *               | { id, ok: false, error }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPglite } from './pglite-options.mjs';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread only');

const identity = (value) => value;

/** An error as plain data: PostgreSQL's fields (code, detail, …) survive the message. */
function serialiseError(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const plain = { name: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || typeof value === 'function') continue;
    if (typeof value === 'object' && value !== null) continue; // e.g. the query's params
    plain[key] = value;
  }
  return plain;
}

let database;
try {
  database = await openPglite(workerData.dataDir);
  port.postMessage({ type: 'ready' });
} catch (error) {
  port.postMessage({ type: 'failed', error: serialiseError(error) });
}

port.on('message', async (message) => {
  try {
    if (message.op === 'query') {
      // Drizzle passes identity parsers (timestamps and dates stay text); functions cannot
      // cross threads, so the caller sends their type OIDs and they are rebuilt here.
      const parsers = {};
      for (const oid of message.identityOids) parsers[oid] = identity;
      const result = await database.query(message.sql, message.params, {
        rowMode: message.rowMode,
        parsers,
      });
      port.postMessage({
        id: message.id,
        ok: true,
        result: { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows },
      });
    } else if (message.op === 'close') {
      await database.close();
      port.postMessage({ id: message.id, ok: true, result: undefined });
    } else {
      throw new Error(`unknown operation ${message.op}`);
    }
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: serialiseError(error) });
  }
});
