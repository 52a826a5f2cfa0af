#!/usr/bin/env node
// `prepare`: builds dist/ unless it is already current. npm runs prepare after `npm ci`, and again when
// `npx ai-gateway` in a checkout links the project into npx's cache; rebuilding there changed nothing and kept
// the first start silent behind npx's spinner for 15–40 s. `npm run build` always rebuilds.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const output = join(root, 'dist', 'cli', 'main.js');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p));

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

if (existsSync(output) && Math.max(...inputs.map(newest)) <= statSync(output).mtimeMs) {
  console.error('dist/ is current with src/; not rebuilding (npm run build forces it)');
} else {
  // On stderr, so `npm pack --json` keeps a clean stdout.
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
}
