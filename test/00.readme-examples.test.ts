/**
 * The README's "Library" section runs as written: each ```js block is written to a .mjs file in one
 * temporary folder (in order, so a later block may load what an earlier one saved) where 'cnn'
 * resolves to this package (node_modules/cnn is a link), run with node, and its output compared with
 * the ```text block after it. Numbers in the expected text match any number (they depend on the
 * machine's thread count); everything else must match exactly.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');

function librarySection(): string {
  const start = readme.indexOf('\n## Library\n');
  assert.ok(start >= 0, 'the README has a "## Library" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function examples(): { code: string; expected: string }[] {
  const out: { code: string; expected: string }[] = [];
  for (const m of librarySection().matchAll(/```(?:js|ts)\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g)) out.push({ code: m[1]!, expected: m[2]! });
  return out;
}

/** The expected text as a pattern: numbers match numbers, the rest is literal. */
function pattern(expected: string): RegExp {
  const parts = expected.trimEnd().split(/(-?\d+(?:\.\d+)?(?:e-?\d+)?)/);
  return new RegExp(`^${parts.map((p, i) => (i % 2 === 1 ? '-?\\d+(?:\\.\\d+)?(?:e-?\\d+)?' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
}

test('the Library section has runnable examples, each followed by its output', () => {
  const list = examples();
  assert.ok(list.length >= 3, `${list.length} examples`);
  assert.ok(list.every((e) => /from 'cnn'/.test(e.code)));
});

test('the Library examples run and print what the README says', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(packageRoot, join(dir, 'node_modules', 'cnn'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
    examples().forEach((example, i) => {
      const file = join(dir, `example-${i + 1}.mjs`);
      writeFileSync(file, example.code);
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CNN_HOME: warmDatasetHome(join(dir, 'cnn-home'), ['fashion-mnist']) } });
      assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
      t.diagnostic(`example ${i + 1} printed:\n${r.stdout}`);
      assert.match(r.stdout.trimEnd(), pattern(example.expected), `example ${i + 1}'s output`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
