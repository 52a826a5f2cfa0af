/**
 * A small, strict reader of the Prometheus text exposition format (0.0.4), written from the format's
 * description rather than from prom-client, so it can disagree with what the gateway serves. It throws on
 * anything a scraper would reject or that is suspicious: unknown line shapes, bad names or escapes, samples
 * before their TYPE, a family split in two, duplicate series, non-cumulative histogram buckets.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Numbers as Prometheus reads them (Go's strconv.ParseFloat): decimal or exponent forms, and Inf/NaN spelled in
 * any case (prom-client writes NaN as "Nan", which Prometheus accepts).
 */
export function parseFloatStrict(text: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a number: "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `text[0] === '{'`; returns the labels and the rest of the line. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`line ${line}: ${why}`);
  };
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) fail('label without "="');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(`bad label name "${name}"`);
    if (name in labels) fail(`duplicate label "${name}"`);
    if (text[eq + 1] !== '"') fail(`label ${name}: value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const ch = text[j];
      if (ch === undefined) fail(`label ${name}: unterminated value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(`label ${name}: bad escape \\${next ?? ''}`);
        j += 2;
        continue;
      }
      value += ch;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(`label ${name}: expected "," or "}"`);
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const [name, family] of families) {
    if (SUFFIXES[family.type].some((suffix) => name + suffix === sampleName)) return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const series = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // an ordinary comment
      const [, keyword, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
      if (keyword === 'HELP') {
        if (helps.has(name)) throw new Error(`line ${line}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`line ${line}: bad escape in HELP`);
        helps.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
        const family = families.get(name);
        if (family) family.help = helps.get(name);
        return;
      }
      if (!TYPES.has(rest as MetricType)) throw new Error(`line ${line}: unknown type "${rest}"`);
      if (families.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
      current = { name, type: rest as MetricType, help: helps.get(name), samples: [] };
      families.set(name, current);
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = nameMatch[0];
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/ +/);
    if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2) throw new Error(`line ${line}: expected " value [timestamp]": ${raw}`);
    const value = parseFloatStrict(fields[0]!);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`line ${line}: bad timestamp`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`line ${line}: sample ${name} has no TYPE before it`);
    if (family !== current) throw new Error(`line ${line}: samples of ${family.name} are not together`);
    if (family.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) throw new Error(`line ${line}: bucket without le`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.add(key);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Buckets are cumulative, end with +Inf, and the +Inf bucket equals _count, for every label set. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (s.name.endsWith('_bucket')) group.buckets.push([parseFloatStrict(le!), s.value]);
    else if (s.name.endsWith('_count')) group.count = s.value;
    else group.sum = s.value;
  }
  for (const [key, g] of groups) {
    const where = `${family.name}${key}`;
    if (g.count === undefined || g.sum === undefined) throw new Error(`${where}: missing _count or _sum`);
    let prevLe = -Infinity;
    let prevCount = 0;
    for (const [le, count] of g.buckets) {
      if (!(le > prevLe)) throw new Error(`${where}: bucket bounds not increasing at le=${le}`);
      if (count < prevCount) throw new Error(`${where}: bucket counts not cumulative at le=${le}`);
      prevLe = le;
      prevCount = count;
    }
    if (prevLe !== Infinity) throw new Error(`${where}: no +Inf bucket`);
    if (prevCount !== g.count) throw new Error(`${where}: +Inf bucket ${prevCount} != _count ${g.count}`);
  }
}

/** The value of the one sample with exactly these labels, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families);
  const want = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
  const found = family?.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b))) === want,
  );
  return found?.value;
}

/** Every sample of a metric (by its sample name, e.g. `x_bucket`). */
export function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  return familyOf(name, families)?.samples.filter((s) => s.name === name) ?? [];
}

/** Distinct values one label takes across a metric's samples. */
export function labelValues(families: Map<string, Family>, name: string, label: string): string[] {
  return [...new Set(samplesOf(families, name).map((s) => s.labels[label]).filter((v): v is string => v !== undefined))].sort();
}
