import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_FIELDS, csvField, exportRows, openStore, type ExportFormat, type WritableStore } from '../../../src/store/index.js';
import { FakeScheduler, makeRow, tempDir } from './helpers.js';

/** Minimal RFC 4180 reader, to check the writer against an independent parse. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length) throw new Error('csv did not end with CRLF');
  return rows;
}

let t: ReturnType<typeof tempDir>;
let store: WritableStore;

function collect(format: ExportFormat, extra: { sinceMs?: number; agent?: string } = {}): { text: string; chunks: number; rows: number } {
  let text = '';
  let chunks = 0;
  const rows = exportRows(t.dbPath, { format, ...extra }, (c) => {
    text += c;
    chunks++;
  });
  return { text, chunks, rows };
}

beforeEach(() => {
  t = tempDir();
  store = openStore(t.dbPath, { scheduler: new FakeScheduler() });
  store.sink.record(makeRow({ id: 'r1', agent: 'plain', ts: Date.UTC(2025, 0, 1, 12), costUsd: null, stream: false }));
  store.sink.record(makeRow({ id: 'r2', agent: 'has,comma "and quotes"', ts: Date.UTC(2025, 0, 2), dropped: 'seed,top_k', estimated: true }));
  store.sink.record(makeRow({ id: 'r3', agent: 'line\nbreak', ts: Date.UTC(2025, 0, 3), model: '=HYPERLINK("x")' }));
  store.sink.flush();
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('exportRows', () => {
  it('writes JSONL, oldest first, with typed values, while the gateway still has the file open', () => {
    const { text, rows } = collect('jsonl');
    expect(rows).toBe(3);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.id)).toEqual(['r1', 'r2', 'r3']);
    expect(Object.keys(lines[0] ?? {})).toEqual([...EXPORT_FIELDS]);
    expect(lines[0]).toMatchObject({ time: '2025-01-01T12:00:00.000Z', stream: false, cost_usd: null, estimated: false });
    expect(lines[1]).toMatchObject({ agent: 'has,comma "and quotes"', dropped: 'seed,top_k', estimated: true, input_tokens: 100 });
  });

  it('filters by time and agent, and works after the gateway closed the file', () => {
    store.close();
    expect(collect('jsonl', { sinceMs: Date.UTC(2025, 0, 2) }).rows).toBe(2);
    const only = collect('jsonl', { agent: 'plain' });
    expect(only.rows).toBe(1);
    expect(only.text).toContain('"id":"r1"');
    expect(collect('jsonl', { agent: 'nobody' })).toEqual({ text: '', chunks: 0, rows: 0 });
  });

  it('writes CSV with a header and RFC 4180 quoting that parses back', () => {
    const { text } = collect('csv');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...EXPORT_FIELDS]);
    expect(rows).toHaveLength(4);
    const col = (name: string) => EXPORT_FIELDS.indexOf(name);
    expect(rows[1]?.[col('cost_usd')]).toBe('');
    expect(rows[1]?.[col('stream')]).toBe('false');
    expect(rows[2]?.[col('agent')]).toBe('has,comma "and quotes"');
    expect(rows[2]?.[col('dropped')]).toBe('seed,top_k');
    expect(rows[3]?.[col('agent')]).toBe('line\nbreak');
    // Spreadsheet formulas are neutralised.
    expect(rows[3]?.[col('model')]).toBe(`'=HYPERLINK("x")`);
    expect(rows[3]?.[col('input_tokens')]).toBe('100');
  });

  it('streams large exports in several chunks', () => {
    for (let i = 0; i < 2000; i++) store.sink.record(makeRow({ ts: Date.UTC(2025, 1, 1) + i }));
    store.sink.flush();
    const { text, chunks, rows } = collect('jsonl');
    expect(rows).toBe(2003);
    expect(chunks).toBeGreaterThan(1);
    expect(text.trimEnd().split('\n')).toHaveLength(2003);
  });

  it('fails clearly for a missing file', () => {
    expect(() => exportRows(join(t.dir, 'missing.db'), { format: 'csv' }, () => {})).toThrow(/no ai-gateway database/);
  });
});

describe('csvField', () => {
  it('quotes only when needed', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
    expect(csvField(' padded ')).toBe('" padded "');
    expect(csvField('-1+1')).toBe("'-1+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-1)).toBe('-1');
    expect(csvField(0.000125)).toBe('0.000125');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
  });
});

describe('JSONL mirror', () => {
  it('appends every committed row as it is committed, and the last ones on close', () => {
    const mirrorPath = join(t.dir, 'mirror', 'audit.jsonl');
    const m = openStore(join(t.dir, 'm.db'), { scheduler: new FakeScheduler(), jsonlPath: mirrorPath });
    m.sink.record(makeRow({ id: 'm1' }));
    m.sink.record(makeRow({ id: 'm2' }));
    m.sink.flush();
    const first = readFileSync(mirrorPath, 'utf8').trimEnd().split('\n');
    expect(first.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['m1', 'm2']);

    m.sink.record(makeRow({ id: 'm3' }));
    m.close(); // flushes the writer, which hands the row to the mirror
    const all = readFileSync(mirrorPath, 'utf8').trimEnd().split('\n');
    expect(all.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['m1', 'm2', 'm3']);
  });
});
