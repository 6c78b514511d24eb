/**
 * Preloaded by bench/memory.ts into the server it measures (`node --import`), and inherited by
 * the embedded database's worker thread (workers take the process's execArgv): every thread
 * writes its own V8 heap and buffer figures to MEMORY_PROBE_DIR/<threadId>.json every 500 ms.
 * Only the benchmark sets MEMORY_PROBE_DIR; the server itself never loads this file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { setInterval } from 'node:timers';
import { threadId } from 'node:worker_threads';

const dir = process.env.MEMORY_PROBE_DIR;
if (dir) {
  const write = () => {
    const heap = v8.getHeapStatistics();
    const usage = process.memoryUsage();
    writeFileSync(
      join(dir, `${threadId}.json`),
      JSON.stringify({
        threadId,
        heapTotal: heap.total_heap_size,
        heapUsed: heap.used_heap_size,
        external: heap.external_memory,
        mallocedMemory: heap.malloced_memory,
        arrayBuffers: usage.arrayBuffers,
        at: Date.now(),
      }),
    );
  };
  setInterval(write, 500).unref();
}
