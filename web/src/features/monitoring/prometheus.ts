/**
 * A compact parser of the Prometheus text exposition format (version 0.0.4, what prom-client
 * writes): `# HELP` and `# TYPE` lines, other comments, samples `name{label="value",…} value
 * [timestamp]`. Label values may hold escaped quotes, backslashes and newlines; values may be
 * `+Inf`, `-Inf`, `NaN` or use exponents. A malformed line is skipped and reported in `errors`
 * rather than failing the whole scrape.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family name. */
  types: Map<string, MetricType>;
  /** `# HELP` per metric family name, unescaped. */
  help: Map<string, string>;
  /** One entry per skipped line: `line N: reason`. */
  errors: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A sample value: a float, `+Inf`/`Inf`/`-Inf` or `NaN` (any case); undefined when invalid. */
export function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_match, char: string) => (char === 'n' ? '\n' : '\\'));
}

class LineError extends Error {}

/** Parse `{a="x",b="y\"z"}` starting at `position` (the `{`); returns the labels and the end. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let position = start + 1;
  const skipSpaces = () => {
    while (line[position] === ' ' || line[position] === '\t') position += 1;
  };
  for (;;) {
    skipSpaces();
    if (line[position] === '}') return { labels, end: position + 1 };
    const name = LABEL_NAME.exec(line.slice(position))?.[0];
    if (!name) throw new LineError(`bad label name at column ${position + 1}`);
    position += name.length;
    skipSpaces();
    if (line[position] !== '=') throw new LineError(`expected "=" after label ${name}`);
    position += 1;
    skipSpaces();
    if (line[position] !== '"') throw new LineError(`expected a quoted value for label ${name}`);
    position += 1;
    let value = '';
    for (;;) {
      const char = line[position];
      if (char === undefined) throw new LineError(`unterminated value of label ${name}`);
      position += 1;
      if (char === '"') break;
      if (char === '\\') {
        const next = line[position];
        position += 1;
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new LineError(`bad escape in the value of label ${name}`);
      } else {
        value += char;
      }
    }
    labels[name] = value;
    skipSpaces();
    if (line[position] === ',') position += 1;
    else if (line[position] !== '}') throw new LineError(`expected "," or "}" after label ${name}`);
  }
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new LineError('bad metric name');
  let position = name.length;
  while (line[position] === ' ' || line[position] === '\t') position += 1;
  let labels: Record<string, string> = {};
  if (line[position] === '{') {
    const parsed = parseLabels(line, position);
    labels = parsed.labels;
    position = parsed.end;
  }
  const rest = line
    .slice(position)
    .trim()
    .split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '' || rest.length > 2)
    throw new LineError('expected a value and an optional timestamp');
  const value = parseValue(rest[0]!);
  if (value === undefined) throw new LineError(`bad value "${rest[0]}"`);
  const sample: Sample = { name, labels, value };
  if (rest[1] !== undefined) {
    const timestamp = Number(rest[1]);
    if (!/^-?\d+$/.test(rest[1])) throw new LineError(`bad timestamp "${rest[1]}"`);
    sample.timestamp = timestamp;
  }
  return sample;
}

export function parsePrometheusText(text: string): Exposition {
  const result: Exposition = { samples: [], types: new Map(), help: new Map(), errors: [] };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!match) return; // an ordinary comment
      const [, keyword, name, rest = ''] = match;
      if (keyword === 'HELP') result.help.set(name!, unescapeHelp(rest));
      else if (TYPES.has(rest.trim() as MetricType))
        result.types.set(name!, rest.trim() as MetricType);
      else result.errors.push(`line ${index + 1}: unknown type "${rest.trim()}"`);
      return;
    }
    try {
      result.samples.push(parseSample(line));
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      result.errors.push(`line ${index + 1}: ${error.message}`);
    }
  });
  return result;
}

/** A stable identity of a series: the name and its labels in name order. */
export function seriesKey(name: string, labels: Record<string, string>, omit?: string): string {
  const parts = Object.keys(labels)
    .filter((label) => label !== omit)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`);
  return `${name}{${parts.join(',')}}`;
}
