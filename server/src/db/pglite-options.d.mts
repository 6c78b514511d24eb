/** Types of pglite-options.mjs (plain JavaScript, shared with the database's worker thread). */
import type { PGlite } from '@electric-sql/pglite';

export declare const PGLITE_SHARED_BUFFERS: string;
export declare function openPglite(dataDir: string): Promise<PGlite>;
