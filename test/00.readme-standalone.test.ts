/**
 * The README stands on its own: a user has the repository only, so it names no path outside it, every
 * repository file it names exists, and what its quick start writes is ignored by git.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');

function quickStart(): string[] {
  const section = readme.slice(readme.indexOf('## Install, test, train'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README has a ```sh quick start block under "Install, test, train"');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

test('the README names no path outside the repository', () => {
  const outside = readme.split('\n').flatMap((line, i) =>
    /\.\.\/shared|\/work\/|(^|[\s`(])\.\.\//.test(line) ? [`line ${i + 1}: ${line.trim()}`] : [],
  );
  assert.deepEqual(outside, []);
});

test('the repository files the README names exist', () => {
  const named = new Set<string>();
  for (const m of readme.matchAll(/`((?:scripts|src|test|native|data|docs|bin|\.ci)\/[A-Za-z0-9_./-]+)`/g)) named.add(m[1]!);
  for (const m of readme.matchAll(/\]\(((?:docs|scripts|data)\/[A-Za-z0-9_./-]+)\)/g)) named.add(m[1]!);
  assert.ok(named.size > 5, `the README names repository files (${named.size} found)`);
  const missing = [...named].filter((p) => !p.includes('*') && !existsSync(join(packageRoot, p.replace(/\/$/, ''))));
  assert.deepEqual(missing, []);
});

test('the quick start is install, test, then cnn commands on shipped configs', () => {
  const lines = quickStart();
  assert.equal(lines[0], 'npm install');
  assert.equal(lines[1], 'npm test');
  for (const line of lines.slice(2)) {
    assert.match(line, /^npx cnn /);
    const config = /--config (\S+)/.exec(line)?.[1];
    if (config) assert.ok(existsSync(join(packageRoot, 'data', config)), `${config} is a shipped config`);
  }
});

test("what the quick start writes is ignored by git", (t) => {
  const outputs = new Set<string>();
  for (const line of quickStart()) {
    const out = /--out (\S+)/.exec(line)?.[1];
    if (out) {
      outputs.add(out);
      outputs.add(out.replace(/\.bin$/, '.history.json'));
    }
  }
  assert.ok(outputs.size >= 2);
  const git = spawnSync('git', ['check-ignore', '--no-index', ...outputs], { cwd: packageRoot, encoding: 'utf8' });
  if (git.error) {
    t.skip('git is not installed');
    return;
  }
  const ignored = new Set(git.stdout.split('\n').filter(Boolean));
  assert.deepEqual([...outputs].filter((o) => !ignored.has(o)), []);
});
