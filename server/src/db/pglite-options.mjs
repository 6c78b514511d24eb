/**
 * How the embedded database (PGlite) is opened: by its worker thread (pglite-worker.mjs) and by
 * the in-thread mode the benchmarks compare it with (client.ts). Plain JavaScript, as the worker.
 *
 * Memory (docs/performance-memory.md): PGlite allocates PostgreSQL's shared memory inside its
 * WebAssembly memory and zero-fills it at start, so every megabyte of it is resident from the
 * first second, and WebAssembly memory never shrinks. PostgreSQL's default shared_buffers of
 * 128 MB made 146 MiB of shared memory, more than the rest of the process together. 16 MB
 * (24 MiB of shared memory) holds the hot part of the sample catalog; the rest is read through
 * the operating system's file cache, as PGlite reads its data directory with plain file reads.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';

/** PostgreSQL's shared buffer pool in PGlite (PostgreSQL's default: 128MB). */
export const PGLITE_SHARED_BUFFERS = '16MB';

/** Opens PGlite on a data directory (created when missing), or in memory for 'memory://'. */
export async function openPglite(dataDir) {
  const options = {
    // The extensions the migrations create must be loaded into PGlite explicitly.
    extensions: { pg_trgm, unaccent },
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
  };
  if (dataDir === 'memory://') return PGlite.create(options);
  await mkdir(dataDir, { recursive: true });
  return PGlite.create(dataDir, options);
}
