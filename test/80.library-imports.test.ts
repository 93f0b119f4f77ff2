/**
 * The layering rule for the library's entry: what `import 'cnn'` loads never reaches the CLI (src/cli,
 * commander, ora). Walks the import graph of src/index.ts through every static and dynamic relative
 * import, plus a live check that importing the built entry loads no ora module.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/version.js';

/** Every module reachable from `entry`, with the chain that reached it; bare packages as "pkg:<name>". */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\s*\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g)]
      .filter((m) => !/^\s*(?:import|export)\s+type\s/.test(m[0].trimStart()))
      .map((m) => m[1] ?? m[2] ?? m[3]);
    for (const spec of specs) {
      let target: string;
      if (spec.startsWith('.')) {
        target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!existsSync(target)) continue;
      } else {
        if (spec.startsWith('node:')) continue;
        target = `pkg:${spec.split('/')[0]}`;
      }
      if (seen.has(target)) continue;
      seen.set(target, [...seen.get(file)!, target]);
      if (!target.startsWith('pkg:')) queue.push(target);
    }
  }
  return seen;
}

test("import 'cnn' reaches no CLI module, commander or ora", () => {
  const graph = importGraph(join(packageRoot, 'src', 'index.ts'));
  const offending = [...graph.entries()].filter(([m]) => m.includes(`${join('src', 'cli')}/`) || m === 'pkg:ora' || m === 'pkg:commander');
  const show = offending.map(([, chain]) => chain.map((c) => (c.startsWith('pkg:') ? c : relative(packageRoot, c))).join(' -> '));
  assert.deepEqual(show, []);
  assert.ok(graph.size > 10, `the walk found ${graph.size} modules`);
});

test('loading the built library entry loads no ora module', () => {
  const entry = pathToFileURL(join(packageRoot, 'dist', 'src', 'index.js')).href;
  // ora's own modules would be in the ESM loader's cache; a resolve hook records every URL loaded.
  const hook = `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/ora/')) process.stderr.write('LOADED ora\\n'); return r; }`)}`;
  const boot = `import { register } from 'node:module'; register(${JSON.stringify(hook)}); await import(${JSON.stringify(entry)}); console.log('ok');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', boot], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok/);
  assert.doesNotMatch(r.stderr, /LOADED ora/);
});
