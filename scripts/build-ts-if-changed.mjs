#!/usr/bin/env node
// `npm test`'s TypeScript step: runs tsc only when a source could have changed since the last build.
// tsc -p with its incremental build info still takes about 3 s on a 2-core machine to find that
// nothing changed; this looks at modification times instead: every file and folder under src/,
// test/ and scripts/ (a folder's time changes when a file in it is added, removed or renamed),
// tsconfig.json, package.json and the installed packages' lock file, against dist/.tsbuildinfo.
// Anything newer, or no build info, runs tsc exactly as `npm run build:ts` does, then removes the
// output of sources that are gone (tsc leaves it, and a renamed test would otherwise run twice).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const info = join(root, 'dist', '.tsbuildinfo');

function newest(path) {
  let s;
  try {
    s = statSync(path);
  } catch {
    return 0;
  }
  let t = s.mtimeMs;
  if (s.isDirectory()) for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

/** dist/X.js, .d.ts and .js.map whose X.ts no longer exists under src/, test/ or scripts/. */
function removeOrphans(dir, sourceRoot) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const source = join(sourceRoot, entry.name);
    if (entry.isDirectory()) {
      if (['src', 'test', 'scripts'].includes(entry.name) || sourceRoot !== root) removeOrphans(path, source);
      continue;
    }
    if (sourceRoot === root) continue; // dist/.tsbuildinfo
    const stem = entry.name.replace(/(\.d\.ts|\.js\.map|\.js)$/, '');
    if (stem !== entry.name && !existsSync(join(sourceRoot, `${stem}.ts`))) rmSync(path);
  }
}

let built = 0;
try {
  built = statSync(info).mtimeMs;
} catch {
  // never built
}
const sources = ['src', 'test', 'scripts', 'tsconfig.json', 'package.json', join('node_modules', '.package-lock.json')];
const changed = Math.max(...sources.map((p) => newest(join(root, p))));
if (built > 0 && changed < built) {
  process.stdout.write('build:ts: dist/ is newer than every TypeScript source; not compiling\n');
} else {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  removeOrphans(join(root, 'dist'), root);
  // tsc leaves its build info alone when no output changed (a file saved unchanged): mark the check done.
  const now = new Date();
  utimesSync(info, now, now);
}
