import { describe, expect, it } from 'vitest';
import { labelValues, parsePrometheusText, sampleValue } from './prom-text.js';

const GOOD = `# HELP reqs_total Requests, with a \\\\ and a \\n in the help.
# TYPE reqs_total counter
reqs_total{agent="a",status="200"} 3
reqs_total{agent="quote\\"back\\\\slash\\nnl",status="500"} 1.5e0
# a plain comment
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1",p="x"} 1
lat_seconds_bucket{le="1",p="x"} 2
lat_seconds_bucket{le="+Inf",p="x"} 3
lat_seconds_sum{p="x"} 4.25
lat_seconds_count{p="x"} 3
# TYPE up gauge
up 1 1700000000000
# TYPE lag gauge
lag{q="a"} Nan
lag{q="b"} -Inf
`;

describe('parsePrometheusText', () => {
  it('reads families, escaped label values, histograms and timestamps', () => {
    const f = parsePrometheusText(GOOD);
    expect([...f.keys()]).toEqual(['reqs_total', 'lat_seconds', 'up', 'lag']);
    expect(sampleValue(f, 'lag', { q: 'a' })).toBeNaN();
    expect(sampleValue(f, 'lag', { q: 'b' })).toBe(-Infinity);
    expect(f.get('reqs_total')?.help).toBe('Requests, with a \\ and a \n in the help.');
    expect(sampleValue(f, 'reqs_total', { agent: 'a', status: '200' })).toBe(3);
    expect(sampleValue(f, 'reqs_total', { agent: 'quote"back\\slash\nnl', status: '500' })).toBe(1.5);
    expect(sampleValue(f, 'reqs_total', { agent: 'a' })).toBeUndefined();
    expect(sampleValue(f, 'lat_seconds_count', { p: 'x' })).toBe(3);
    expect(sampleValue(f, 'up')).toBe(1);
    expect(labelValues(f, 'reqs_total', 'status')).toEqual(['200', '500']);
  });

  it.each([
    ['a sample before its TYPE', 'x 1\n'],
    ['no final newline', '# TYPE x counter\nx 1'],
    ['an unknown type', '# TYPE x countr\nx 1\n'],
    ['a bad metric name', '# TYPE 1x counter\n'],
    ['an unquoted label value', '# TYPE x counter\nx{a=b} 1\n'],
    ['a bad escape', '# TYPE x counter\nx{a="\\t"} 1\n'],
    ['an unterminated label', '# TYPE x counter\nx{a="b} 1\n'],
    ['a duplicate label', '# TYPE x counter\nx{a="1",a="2"} 1\n'],
    ['a duplicate series', '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a value that is not a number', '# TYPE x counter\nx 1,5\n'],
    ['a missing value', '# TYPE x counter\nx{a="1"}\n'],
    ['a split family', '# TYPE x counter\nx{a="1"} 1\n# TYPE y gauge\ny 1\nx{a="2"} 1\n'],
    ['a second TYPE', '# TYPE x counter\n# TYPE x gauge\n'],
    ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a +Inf bucket that is not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
