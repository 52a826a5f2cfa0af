/** Reading "pitfall N" / "§N(.M)" citations out of text, and the headings of docs/translation.md they must name. */

export interface Citation {
  /** `foreign`: a § of another document ("contract §5"), which src must not cite by number. */
  kind: 'section' | 'pitfall' | 'foreign';
  id: string;
  line: number;
  text: string;
}

/** A run of § numbers (`§3.1, §4.8`) and the word before it, which says whose sections they are. */
const SECTION_RUN = /(?:([\w.-]+)\s+)?(§ ?\d+(?:\.\d+)*(?:,\s*§ ?\d+(?:\.\d+)*)*)/g;
const SECTION = /§ ?(\d+(?:\.\d+)*)/g;
/** "pitfall 7", "pitfalls 2, 3", "pitfalls 9 and 11". */
const PITFALL_RUN = /\bpitfalls? (\d+(?:(?:,\s*|\s+and\s+)\d+)*)/gi;
const OTHER_DOCUMENT = /^(contract|architecture(\.md)?|readme(\.md)?)$/i;

export function findCitations(text: string): Citation[] {
  return text.split('\n').flatMap((lineText, i) => {
    const found: { at: number; citation: Citation }[] = [];
    const line = i + 1;
    for (const run of lineText.matchAll(SECTION_RUN)) {
      const owner = run[1] ?? '';
      const numbers = run[2] ?? '';
      const start = (run.index ?? 0) + run[0].length - numbers.length;
      for (const section of numbers.matchAll(SECTION)) {
        const id = section[1] ?? '';
        const kind = OTHER_DOCUMENT.test(owner) ? 'foreign' : 'section';
        found.push({ at: start + (section.index ?? 0), citation: { kind, id, line, text: `${owner} ${section[0]}`.trim() } });
      }
    }
    for (const run of lineText.matchAll(PITFALL_RUN)) {
      for (const n of (run[1] ?? '').matchAll(/\d+/g)) {
        found.push({ at: (run.index ?? 0) + run[0].indexOf(run[1] ?? '') + (n.index ?? 0), citation: { kind: 'pitfall', id: n[0], line, text: run[0] } });
      }
    }
    return found.sort((a, b) => a.at - b.at).map((f) => f.citation);
  });
}

/** Section numbers of `## N.`, `### N.M` … headings, and the numbers of `### Pitfall N:` headings, in document order. */
export function headingsOf(markdown: string): { sections: Set<string>; pitfalls: Set<string> } {
  const sections = new Set<string>();
  const pitfalls = new Set<string>();
  for (const line of markdown.split('\n')) {
    const section = /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (section?.[1] !== undefined) sections.add(section[1]);
    const pitfall = /^#{2,4} Pitfall (\d+)[:.]/.exec(line);
    if (pitfall?.[1] !== undefined) pitfalls.add(pitfall[1]);
  }
  return { sections, pitfalls };
}
