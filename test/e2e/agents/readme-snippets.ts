/**
 * The README's tested snippets: each fenced block right after a `<!-- snippet: NAME -->` line. Tests run or read
 * them as written, with only the gateway address swapped for the test gateway's, so the README cannot drift from
 * what works.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_DIR } from './cli-home.js';

/** The address every snippet uses; tests replace it. */
export const README_GATEWAY = 'http://localhost:8080';

export interface Snippet {
  /** The fence's info string: `js`, `sh`, `toml`, `python`. */
  lang: string;
  code: string;
}

const SNIPPET = /^<!-- snippet: ([\w-]+) -->\n```(\w*)\n([\s\S]*?)\n```$/gm;

function readSnippets(): Map<string, Snippet> {
  const readme = readFileSync(join(PROJECT_DIR, 'README.md'), 'utf8');
  const found = new Map<string, Snippet>();
  for (const [, name, lang, code] of readme.matchAll(SNIPPET)) {
    if (name === undefined || code === undefined) continue;
    if (found.has(name)) throw new Error(`README.md: snippet ${name} appears twice`);
    found.set(name, { lang: lang ?? '', code });
  }
  return found;
}

let snippets: Map<string, Snippet> | undefined;

export function readmeSnippet(name: string): Snippet {
  snippets ??= readSnippets();
  const snippet = snippets.get(name);
  if (!snippet) throw new Error(`README.md has no block after <!-- snippet: ${name} -->`);
  return snippet;
}

/** The snippet's code with the README's gateway address replaced by `url` (which may end in `/agents/<id>`). */
export function atGateway(code: string, url: string): string {
  if (!code.includes(README_GATEWAY)) throw new Error(`snippet does not mention ${README_GATEWAY}`);
  return code.replaceAll(README_GATEWAY, url);
}

/** `export NAME=value` lines of a shell snippet (values up to the first space; comments ignored). */
export function shellExports(code: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [, name, value] of code.matchAll(/^export (\w+)=(\S+)/gm)) {
    if (name !== undefined && value !== undefined) vars[name] = value;
  }
  return vars;
}

/** The first capture of `pattern` in the snippet; throws when the README no longer says it. */
export function snippetMatch(code: string, pattern: RegExp): string {
  const value = pattern.exec(code)?.[1];
  if (value === undefined) throw new Error(`snippet no longer matches ${pattern}`);
  return value;
}
