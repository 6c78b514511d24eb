/**
 * Uploaded documents: Shopify product exports (valid-ish rows, broken rows, garbage, huge cells),
 * category lists, and multipart envelopes around either (well formed or broken).
 */
import fc from 'fast-check';
import { NASTY_STRINGS, poolRef, SQL } from './schema-values.js';
import {
  BigText,
  Bytes,
  Deep,
  ManyKeys,
  PoolRef,
  resolve,
  toJsonText,
  type World,
} from './values.js';

export type Cell = string | PoolRef | BigText;

/** A CSV file, rendered when sent (its cells may name real handles). */
export class CsvDoc {
  constructor(
    readonly bom: boolean,
    readonly eol: '\n' | '\r\n',
    readonly quoteAll: boolean,
    readonly header: string[],
    readonly rows: Cell[][],
    readonly trailer: string,
  ) {}
  [fc.toStringMethod]() {
    return `csv(${JSON.stringify(this.header)}, ${this.rows.length} rows: ${this.rows
      .slice(0, 3)
      .map((row) => row.map((cell) => fc.stringify(cell)).join('|'))
      .join(' / ')}${this.trailer ? `, trailer ${JSON.stringify(this.trailer)}` : ''})`;
  }
  render(world: World): string {
    const quote = (value: string) =>
      this.quoteAll || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
    const lines = [this.header, ...this.rows].map((row) =>
      row.map((cell) => quote(String(resolve(cell, world)))).join(','),
    );
    return `${this.bom ? '\uFEFF' : ''}${lines.join(this.eol)}${this.eol}${this.trailer}`;
  }
}

/** JSON text of a value, possibly cut short. */
export class JsonText {
  constructor(
    readonly value: unknown,
    readonly cut?: number,
  ) {}
  [fc.toStringMethod]() {
    return `json(${fc.stringify(this.value)}${this.cut === undefined ? '' : `, cut at ${this.cut}`})`;
  }
  render(world: World): string {
    const text = toJsonText(resolve(this.value, world));
    return this.cut === undefined ? text : text.slice(0, this.cut % Math.max(1, text.length));
  }
}

export type Text = string | BigText | CsvDoc | JsonText | Bytes;

export function renderText(text: Text, world: World): string | Buffer {
  if (typeof text === 'string') return text;
  if (text instanceof Bytes) return Buffer.from(text.bytes);
  if (text instanceof BigText) return text.text();
  return text.render(world);
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  content: Text;
}

/** A multipart/form-data body, well formed unless `breakage` says otherwise. */
export class MultipartDoc {
  constructor(
    readonly parts: Part[],
    readonly breakage:
      | 'none'
      | 'truncated'
      | 'no-closing-boundary'
      | 'no-boundary-parameter'
      | 'other-boundary'
      | 'garbage-preamble',
  ) {}
  [fc.toStringMethod]() {
    return `multipart(${this.breakage}: ${this.parts
      .map(
        (part) =>
          `${part.name}${part.filename ? `=@${part.filename}` : ''}${
            part.contentType ? `;${part.contentType}` : ''
          } ${fc.stringify(part.content)}`,
      )
      .join(', ')})`;
  }
  render(world: World): { contentType: string; payload: Buffer } {
    const boundary = '----fuzz-boundary-7MA4YWxkTrZu0gW';
    const chunks: Buffer[] = [];
    if (this.breakage === 'garbage-preamble') chunks.push(Buffer.from('garbage\r\n'));
    for (const part of this.parts) {
      const disposition = `form-data; name="${part.name}"${
        part.filename === undefined ? '' : `; filename="${part.filename}"`
      }`;
      const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${
        part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''
      }\r\n`;
      chunks.push(Buffer.from(head), Buffer.from(renderText(part.content, world)));
      chunks.push(Buffer.from('\r\n'));
    }
    if (this.breakage !== 'no-closing-boundary') chunks.push(Buffer.from(`--${boundary}--\r\n`));
    let payload = Buffer.concat(chunks);
    if (this.breakage === 'truncated')
      payload = payload.subarray(0, Math.floor(payload.length / 2));
    const contentType =
      this.breakage === 'no-boundary-parameter'
        ? 'multipart/form-data'
        : this.breakage === 'other-boundary'
          ? 'multipart/form-data; boundary=not-the-one-used'
          : `multipart/form-data; boundary=${boundary}`;
    return { contentType, payload };
  }
}

const SHOPIFY_OPTIONAL = [
  'Body (HTML)',
  'Vendor',
  'Type',
  'Tags',
  'Current Tags',
  'Variant SKU',
  'Image Src',
  'Status',
  'Published',
  'Variant Price',
];

const words = fc.lorem({ maxCount: 5 });
const slug = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,40}$/);
const nasty = fc.constantFrom(...NASTY_STRINGS);

function cellFor(column: string, limits: { importMaxBytes: number }): fc.Arbitrary<Cell> {
  const huge = fc
    .constantFrom(300, 5000, Math.floor(limits.importMaxBytes / 3))
    .map((length) => new BigText('long text, "quoted"\n', length));
  switch (column) {
    case 'Handle':
      return fc.oneof(
        { weight: 4, arbitrary: poolRef('handle') },
        { weight: 4, arbitrary: slug },
        { weight: 1, arbitrary: nasty },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
        { weight: 1, arbitrary: fc.constantFrom(300, 256, 255).map((n) => new BigText('h', n)) },
      );
    case 'Title':
      return fc.oneof(
        { weight: 6, arbitrary: words },
        { weight: 1, arbitrary: fc.constantFrom('nan', '', 'NaN', ' ') },
        { weight: 1, arbitrary: nasty },
        { weight: 1, arbitrary: huge },
      );
    case 'Status':
      return fc.constantFrom('active', 'draft', 'archived', '', 'published', 'Active', ' draft');
    case 'Vendor':
    case 'Type':
      return fc.oneof(
        { weight: 6, arbitrary: fc.oneof(poolRef('vendor'), words, nasty) },
        // Over the stored field's limit, and far over what a btree index row holds (issue 9, L3).
        { weight: 1, arbitrary: fc.constantFrom(255, 256, 3000).map((n) => new BigText('v', n)) },
      );
    case 'Variant SKU':
      return fc.oneof(
        { weight: 6, arbitrary: fc.stringMatching(/^[A-Z0-9-]{1,12}$/) },
        { weight: 1, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: nasty },
        { weight: 1, arbitrary: fc.constantFrom(256, 5000).map((n) => new BigText('S', n)) },
      );
    case 'Image Src':
      return fc.oneof(
        { weight: 4, arbitrary: fc.webUrl() },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '',
            'not a url',
            'javascript:alert(1)',
            'http://cdn.example/plain-http.png',
            'data:image/png;base64,AAAA',
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(2048, 2049, 100_000)
            .map((n) => new BigText('a', n, 'https://cdn.example/')),
        },
      );
    case 'Body (HTML)':
      return fc.oneof(
        { weight: 3, arbitrary: words },
        { weight: 1, arbitrary: fc.constant('<p>a, "b"\nc</p>') },
        { weight: 1, arbitrary: huge },
      );
    case 'Tags':
    case 'Current Tags':
      return fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .array(fc.lorem({ maxCount: 1 }), { maxLength: 6 })
            .map((tags) => tags.join(', ')),
        },
        { weight: 1, arbitrary: nasty },
        // Too many tags, and one tag too long (issue 9, L3).
        {
          weight: 1,
          arbitrary: fc.constantFrom(300, 20_000).map((n) => new BigText('t, ', n * 3)),
        },
        { weight: 1, arbitrary: fc.constant(new BigText('t', 300)) },
      );
    default:
      return fc.oneof(words, nasty);
  }
}

/** A Shopify product export: mostly well formed, with the faults real files have. */
export function shopifyCsv(limits: { importMaxBytes: number }): fc.Arbitrary<CsvDoc> {
  const header: fc.Arbitrary<string[]> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.shuffledSubarray(SHOPIFY_OPTIONAL), fc.boolean())
        .map(([rest, handleFirst]) =>
          handleFirst ? ['Handle', 'Title', ...rest] : [...rest, 'Title', 'Handle'],
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string[]>(
        ['handle', 'title'],
        ['Handle'],
        ['Title', 'Vendor'],
        ['Handle', 'Title', 'Handle'],
        ['Handle ', ' Title'],
        ['', ''],
        ['Name', 'Price'],
      ),
    },
  );
  return header.chain((columns) => {
    const row = fc.tuple(...columns.map((column) => cellFor(column, limits)));
    // A product: its first row, then variant rows with a `nan` title.
    const product = fc
      .tuple(row, fc.nat({ max: 2 }), fc.constantFrom('nan', '', 'NaN'))
      .map(([first, variants, emptyTitle]) => {
        const handleAt = columns.indexOf('Handle');
        const titleAt = columns.indexOf('Title');
        const extra = Array.from({ length: variants }, () =>
          first.map((cell, index) =>
            index === handleAt ? cell : index === titleAt ? emptyTitle : '',
          ),
        );
        return [first as Cell[], ...extra];
      });
    // Now and then a row with too few or too many fields.
    const brokenRow = fc.oneof(
      row.map((cells) => cells.slice(0, -1) as Cell[]),
      row.map((cells) => [...cells, 'extra'] as Cell[]),
    );
    return fc
      .tuple(
        fc.boolean(),
        fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
        fc.boolean(),
        fc.array(product, { maxLength: 10 }),
        fc.option(brokenRow, { freq: 5 }),
        fc.oneof(
          { weight: 10, arbitrary: fc.constant('') },
          { weight: 1, arbitrary: fc.constantFrom('"unterminated,row\n', 'a,"b"c,d\n', '\u0000') },
        ),
      )
      .map(
        ([bom, eol, quoteAll, products, broken, trailer]) =>
          new CsvDoc(
            bom,
            eol,
            quoteAll,
            columns,
            [...products.flat(), ...(broken ? [broken] : [])],
            trailer,
          ),
      );
  });
}

/**
 * An assignments file in the app's own export format (`POST /api/import/assignments`): real
 * handles with no categories (a valid write: it clears them) or a level-1 name (valid unless a
 * deeper category shares it), and now and then an unknown handle, a nasty path or a duplicate.
 */
export function assignmentsCsv(): fc.Arbitrary<CsvDoc> {
  const categories = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: poolRef('level1Name') },
    { weight: 1, arbitrary: fc.oneof(words, nasty, fc.constant('A > B > C > D')) },
  );
  const handle = fc.oneof(
    { weight: 8, arbitrary: poolRef('handle') },
    { weight: 1, arbitrary: fc.oneof(slug, nasty) },
  );
  const row = fc.tuple(handle, words, categories).map((cells): Cell[] => cells);
  return fc
    .tuple(
      fc.boolean(),
      fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
      fc.array(row, { maxLength: 3 }),
    )
    .map(
      ([bom, eol, rows]) =>
        new CsvDoc(bom, eol, false, ['product_id', 'product_name', 'categories'], rows, ''),
    );
}

/** Anything but a product export. */
export function garbageText(limits: { importMaxBytes: number }): fc.Arbitrary<Text> {
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '',
      '\uFEFF',
      'Handle,Title',
      'Handle,Title\n',
      '\n\n\n',
      ',,,\n,,,\n',
      `${SQL}\nselect 1;\n`,
      '{"Handle": "p-001", "Title": "x"}',
      '<products><product/></products>',
      '"',
      'Handle,Title\n"a,b\n',
    ),
    fc.array(fc.nat({ max: 255 }), { maxLength: 300 }).map((bytes) => new Bytes(bytes)),
    // Just under and just over the import limit.
    fc
      .constantFrom(
        limits.importMaxBytes - 100,
        limits.importMaxBytes + 1,
        limits.importMaxBytes * 2,
      )
      .map((length) => new BigText('p-x,A title\n', length, 'Handle,Title\n')),
  );
}

const LEVELS = ['Level 1 Category', 'Level 2 Category', 'Level 3 Category'];

/**
 * Nested values where a scalar belongs (issue 9, L6): deep arrays and objects, and an object of
 * many keys. Building a rejection's text from one must not recurse over it.
 */
const nested = fc.constantFrom<unknown>(
  new Deep(10_000, 'array'),
  new Deep(5000, 'object'),
  new ManyKeys(2000),
  [[['Level 2 Category']]],
);

/** A category list as the old system exported it, with its quirks and some nonsense. */
export function categoryList(): fc.Arbitrary<unknown> {
  const name = fc.oneof(
    { weight: 3, arbitrary: poolRef('categoryName', 'level1Name', 'level2Name') },
    { weight: 4, arbitrary: fc.lorem({ maxCount: 3 }) },
    { weight: 1, arbitrary: nasty },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 7, '', 'null', 'NULL', ['A'], {}) },
    { weight: 1, arbitrary: fc.constantFrom(101, 1000).map((n) => new BigText('n', n)) },
    { weight: 1, arbitrary: nested },
  );
  const level = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...LEVELS) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(1, 2, 3, '2', 'level 2', 'Level 4 Category', '', null, 0),
    },
    { weight: 1, arbitrary: nested },
  );
  const parent = fc.oneof(
    { weight: 4, arbitrary: poolRef('level1Name', 'level2Name') },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(null, 'null', '', ' NULL ') },
    { weight: 1, arbitrary: fc.lorem({ maxCount: 2 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(5, true, ['x']) },
    { weight: 1, arbitrary: nested },
  );
  const entry = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record(
        { category_name: name, category_level: level, connected_to: parent },
        { requiredKeys: ['category_name', 'category_level'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(null, 'entry', 3, [], { category_name: 'No level' }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(name, level, fc.jsonValue({ maxDepth: 1 }))
        .map(([n, l, extra]) => ({ category_name: n, category_level: l, extra })),
    },
  );
  const list = fc.array(entry, { maxLength: 25 });
  return fc.oneof(
    { weight: 8, arbitrary: list },
    { weight: 1, arbitrary: list.map((categories) => ({ categories })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}
