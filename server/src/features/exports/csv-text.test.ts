import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { csvText } from './exports.service.js';

/** What csvText must equal: csv-stringify with formula escaping (what the exports used before). */
const reference = (rows: unknown[][]) => stringify(rows, { escape_formulas: true });

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const PIECES = [
  '',
  'a',
  'Zürich',
  ' ',
  ',',
  ';',
  '"',
  '""',
  "'",
  '\n',
  '\r',
  '\r\n',
  '\t',
  '=',
  '+',
  '-',
  '@',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
  '>',
  '%2C',
  '😀',
  'é',
  '\u0001',
  '#',
  'nan',
  '0',
  '-1',
];

describe('csvText', () => {
  it('writes the same bytes as csv-stringify with escape_formulas, cell by cell', () => {
    const next = random(15);
    const rows: string[][] = [];
    for (let r = 0; r < 5000; r += 1) {
      const cells = 1 + Math.floor(next() * 4);
      rows.push(
        Array.from({ length: cells }, () => {
          const pieces = Math.floor(next() * 4);
          let text = '';
          for (let p = 0; p < pieces; p += 1) text += PIECES[Math.floor(next() * PIECES.length)];
          return text;
        }),
      );
    }
    for (const row of rows) expect(csvText([row])).toBe(reference([row]));
    expect(csvText(rows)).toBe(reference(rows));
  });

  it('writes empty, null and undefined cells as nothing, and other values as csv-stringify', () => {
    const rows = [
      ['', null, undefined, 'x'],
      [1, -2, true, '=1'],
      [new Date(0).toISOString(), 'a,b'],
    ];
    expect(csvText(rows)).toBe(reference(rows));
    expect(csvText([])).toBe('');
  });
});
