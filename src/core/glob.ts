/**
 * Model-name globs, one dialect for routes, prices and capabilities: `*` (any run of characters), `?` (one
 * character) and classes `[0-9]`, `[!a-z]`. Compiled once when a config is read, never per request.
 */

/** The characters that make a pattern a glob. */
const WILDCARD = /[*?[]/;

export function isGlob(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** The literal text before the first wildcard: what a human would recognise as the pattern's family name. */
export function globPrefix(glob: string): string {
  const index = glob.search(WILDCARD);
  return index === -1 ? glob : glob.slice(0, index);
}

/**
 * A RegExp anchored at both ends that matches what the glob matches; `ignoreCase` for prices and capabilities,
 * whose names are matched without regard to case. Throws on an unterminated class.
 */
export function globToRegExp(glob: string, ignoreCase = false): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new Error(`unterminated "[" in pattern "${glob}"`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Keep ranges (a-z) but escape everything regex-special inside the class.
      const escaped = body.replace(/[\\\]^[]/g, (c) => `\\${c}`);
      source += `[${negate ? '^' : ''}${escaped}]`;
      i = end;
    } else {
      source += ch.replace(/[.+^${}()|\\/\]]/g, (c) => `\\${c}`);
    }
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}
