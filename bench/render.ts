/**
 * Writes a run's summary again from its JSON, with the targets evaluated by the current
 * bench/lib/report.ts (after its wording changed, say), as bench/run.ts writes it:
 *
 *     npx tsx bench/render.ts bench/results/<run>.json
 *
 * The measured figures are the JSON's; only the summary's text and target table are redone.
 * A hand-written section of the previous summary is not kept: add it again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';
import { evaluateTargets, renderMarkdownSummary, type Results } from './lib/report.js';

const file = process.argv[2];
if (!file?.endsWith('.json'))
  throw new Error('usage: tsx bench/render.ts bench/results/<run>.json');
const results = JSON.parse(await readFile(file, 'utf8')) as Results;
const full: Results = { ...results, targets: evaluateTargets(results) };
const md = file.replace(/\.json$/, '.md');
await writeFile(
  md,
  await format(renderMarkdownSummary(full), { ...(await resolveConfig(md)), parser: 'markdown' }),
);
await writeFile(file, `${JSON.stringify(full, null, 2)}\n`);
console.info(`Wrote ${md}`);
