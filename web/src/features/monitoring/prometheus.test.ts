import { describe, expect, it } from 'vitest';
import { exposition, times } from './fixtures';
import { parsePrometheusText, parseValue, seriesKey } from './prometheus';

describe('parseValue', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-3.5', -3.5],
    ['.5', 0.5],
    ['1.', 1],
    ['1e-3', 0.001],
    ['1.5E+06', 1_500_000],
    ['-2e2', -200],
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['+inf', Infinity],
    ['-Inf', -Infinity],
  ])('%s → %s', (text, value) => {
    expect(parseValue(text)).toBe(value);
  });

  it('reads NaN in any case', () => {
    expect(parseValue('NaN')).toBeNaN();
    expect(parseValue('nan')).toBeNaN();
  });

  it.each(['', 'abc', '1,5', '0x10', '1e', 'e5', '--1', 'Infinity1'])('rejects %j', (text) => {
    expect(parseValue(text)).toBeUndefined();
  });
});

describe('parsePrometheusText', () => {
  it('reads HELP, TYPE and samples with and without labels', () => {
    const result = parsePrometheusText(
      [
        '# HELP http_requests_in_flight Requests being served right now',
        '# TYPE http_requests_in_flight gauge',
        'http_requests_in_flight 3',
        '# TYPE cache_hits_total counter',
        'cache_hits_total{cache="products"} 17',
        'cache_hits_total{cache="tree"} 2',
      ].join('\n'),
    );
    expect(result.errors).toEqual([]);
    expect(result.types.get('http_requests_in_flight')).toBe('gauge');
    expect(result.types.get('cache_hits_total')).toBe('counter');
    expect(result.help.get('http_requests_in_flight')).toBe('Requests being served right now');
    expect(result.samples).toEqual([
      { name: 'http_requests_in_flight', labels: {}, value: 3 },
      { name: 'cache_hits_total', labels: { cache: 'products' }, value: 17 },
      { name: 'cache_hits_total', labels: { cache: 'tree' }, value: 2 },
    ]);
  });

  it('unescapes quotes, backslashes and newlines in label values', () => {
    const [sample] = parsePrometheusText(
      'm{a="say \\"hi\\"",b="C:\\\\temp",c="two\\nlines",d="}{,="} 1',
    ).samples;
    expect(sample!.labels).toEqual({
      a: 'say "hi"',
      b: 'C:\\temp',
      c: 'two\nlines',
      d: '}{,=',
    });
  });

  it('unescapes HELP text', () => {
    const result = parsePrometheusText('# HELP m A \\\\ backslash\\nand a newline\nm 1');
    expect(result.help.get('m')).toBe('A \\ backslash\nand a newline');
  });

  it('accepts a trailing comma, spaces around labels, empty label sets and empty values', () => {
    const { samples, errors } = parsePrometheusText(
      ['a{x="1",} 1', 'b { x = "2" , y="" } 2', 'c{} 3'].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(samples.map((sample) => [sample.name, sample.labels, sample.value])).toEqual([
      ['a', { x: '1' }, 1],
      ['b', { x: '2', y: '' }, 2],
      ['c', {}, 3],
    ]);
  });

  it('reads +Inf bounds, special values, exponents and timestamps', () => {
    const { samples } = parsePrometheusText(
      [
        'h_bucket{le="+Inf"} 7',
        'g_nan NaN',
        'g_inf +Inf',
        'g_minus_inf -Inf',
        'g_exp 1.5e-7',
        'g_ts 12 1700000000000',
        'g_neg_ts 1 -5',
      ].join('\n'),
    );
    expect(samples[0]).toEqual({ name: 'h_bucket', labels: { le: '+Inf' }, value: 7 });
    expect(samples[1]!.value).toBeNaN();
    expect(samples[2]!.value).toBe(Infinity);
    expect(samples[3]!.value).toBe(-Infinity);
    expect(samples[4]!.value).toBeCloseTo(1.5e-7, 15);
    expect(samples[5]).toEqual({ name: 'g_ts', labels: {}, value: 12, timestamp: 1700000000000 });
    expect(samples[6]!.timestamp).toBe(-5);
  });

  it('skips blank lines and ordinary comments, and handles CRLF line ends', () => {
    const { samples, errors } = parsePrometheusText(
      '# just a comment\r\n#\r\n\r\n   \r\nup 1\r\n# TYPE up gauge\r\n',
    );
    expect(errors).toEqual([]);
    expect(samples).toEqual([{ name: 'up', labels: {}, value: 1 }]);
  });

  it('accepts metric names with colons', () => {
    const { samples } = parsePrometheusText('job:requests:rate5m{job="api"} 0.25');
    expect(samples[0]!.name).toBe('job:requests:rate5m');
  });

  it('skips malformed lines, reports them with their numbers and keeps the rest', () => {
    const { samples, errors } = parsePrometheusText(
      [
        'good 1',
        'no_value',
        'bad_value abc',
        'm{a="unterminated} 1',
        'm{a=unquoted} 1',
        'm{a="x" b="y"} 1',
        'm{a="bad \\q escape"} 1',
        '9starts_with_digit 1',
        'too many values 1 2',
        'bad_ts 1 soon',
        '# TYPE m flavour',
        'also_good{x="y"} 2',
      ].join('\n'),
    );
    expect(samples.map((sample) => sample.name)).toEqual(['good', 'also_good']);
    expect(errors).toHaveLength(10);
    expect(errors[0]).toMatch(/^line 2: /);
    expect(errors[1]).toBe('line 3: bad value "abc"');
    expect(errors[2]).toMatch(/^line 4: unterminated value of label a/);
    expect(errors[9]).toBe('line 11: unknown type "flavour"');
  });

  it('reads a prom-client histogram in full', () => {
    const text = exposition({
      requests: [{ route: '/api/products/:product_id', durations: times(3, 0.004) }],
    });
    const { samples, errors, types } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
    const buckets = samples.filter((sample) => sample.name.endsWith('_bucket'));
    expect(buckets).toHaveLength(15);
    expect(buckets.at(-1)).toEqual({
      name: 'http_request_duration_seconds_bucket',
      labels: {
        le: '+Inf',
        method: 'GET',
        route: '/api/products/:product_id',
        status_code: '200',
      },
      value: 3,
    });
    expect(buckets.find((sample) => sample.labels.le === '0.0025')!.value).toBe(0);
    expect(buckets.find((sample) => sample.labels.le === '0.005')!.value).toBe(3);
  });
});

describe('seriesKey', () => {
  it('does not depend on label order and can leave a label out', () => {
    expect(seriesKey('m', { b: '2', a: '1' })).toBe(seriesKey('m', { a: '1', b: '2' }));
    expect(seriesKey('m', { a: '1', le: '0.5' }, 'le')).toBe(seriesKey('m', { a: '1' }));
    expect(seriesKey('m', { a: 'x,b="y"' })).not.toBe(seriesKey('m', { a: 'x', b: 'y' }));
  });
});
