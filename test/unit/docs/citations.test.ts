/**
 * Comments in src cite the translation spec as "pitfall N" and "§N(.M)". Every such citation must name a pitfall or a
 * section heading of docs/translation.md, so a reader can follow it and a renumbering cannot silently break it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCitations, headingsOf } from './citations.js';

const root = join(import.meta.dirname, '..', '..', '..');
const doc = readFileSync(join(root, 'docs', 'translation.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const citations = sourceFiles(join(root, 'src')).flatMap((file) =>
  findCitations(readFileSync(file, 'utf8')).map((citation) => ({ ...citation, file: relative(root, file) })),
);
const { sections, pitfalls } = headingsOf(doc);

describe('citations of docs/translation.md in src', () => {
  it('finds the citations (the scan is not vacuous)', () => {
    expect(citations.length).toBeGreaterThan(50);
    expect(citations.filter((c) => c.kind === 'pitfall').length).toBeGreaterThan(10);
    expect(citations.filter((c) => c.kind === 'section').length).toBeGreaterThan(40);
  });

  it('every cited section is a heading of the doc', () => {
    const missing = citations.filter((c) => c.kind === 'section' && !sections.has(c.id));
    expect(missing.map((c) => `${c.file}:${c.line} §${c.id}`)).toEqual([]);
  });

  it('every cited pitfall is a pitfall of the doc', () => {
    const missing = citations.filter((c) => c.kind === 'pitfall' && !pitfalls.has(c.id));
    expect(missing.map((c) => `${c.file}:${c.line} pitfall ${c.id}`)).toEqual([]);
  });

  it('no "§" in src names another document (each one is a translation.md section)', () => {
    const elsewhere = citations.filter((c) => c.kind === 'foreign');
    expect(elsewhere.map((c) => `${c.file}:${c.line} ${c.text}`)).toEqual([]);
  });
});

describe('docs/translation.md', () => {
  it('numbers its pitfalls 1…n without gaps, and its sections in order', () => {
    const numbers = [...pitfalls].map(Number);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(numbers.length).toBeGreaterThanOrEqual(20);
    expect([...sections].filter((s) => !s.includes('.'))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13']);
  });

  it('cites only its own sections and pitfalls', () => {
    const inner = findCitations(doc).filter(
      (c) => (c.kind === 'section' && !sections.has(c.id)) || (c.kind === 'pitfall' && !pitfalls.has(c.id)),
    );
    expect(inner.map((c) => `line ${c.line}: ${c.text}`)).toEqual([]);
  });
});

describe('findCitations', () => {
  it('reads single, listed and plural citations', () => {
    const text = [
      '// Merge turns (pitfalls 2, 3); see spec §4.3 step 3 and §6.2.',
      '/** Usage (spec §3.2, §10); pitfall 7 and pitfalls 9 and 11. */',
    ].join('\n');
    expect(findCitations(text).map((c) => `${c.kind}:${c.id}@${c.line}`)).toEqual([
      'pitfall:2@1', 'pitfall:3@1', 'section:4.3@1', 'section:6.2@1',
      'section:3.2@2', 'section:10@2', 'pitfall:7@2', 'pitfall:9@2', 'pitfall:11@2',
    ]);
  });

  it('flags a § that names another document', () => {
    expect(findCitations('// in the client format (contract §5)').map((c) => c.kind)).toEqual(['foreign']);
    expect(findCitations('// see architecture §6').map((c) => c.kind)).toEqual(['foreign']);
  });

  it('finds a citation the doc does not have', () => {
    const bogus = findCitations('// as spec §99.4 and pitfall 77 say');
    expect(bogus.filter((c) => c.kind === 'section' && !sections.has(c.id)).map((c) => c.id)).toEqual(['99.4']);
    expect(bogus.filter((c) => c.kind === 'pitfall' && !pitfalls.has(c.id)).map((c) => c.id)).toEqual(['77']);
  });
});

describe('headingsOf', () => {
  it('reads section headings and pitfall headings only', () => {
    const parsed = headingsOf(['## 2. Two', '### 2.1 Sub', 'Text 3. not a heading', '### Pitfall 1: One', '#### 2.1.4 Deep'].join('\n'));
    expect([...parsed.sections]).toEqual(['2', '2.1', '2.1.4']);
    expect([...parsed.pitfalls]).toEqual(['1']);
  });
});
