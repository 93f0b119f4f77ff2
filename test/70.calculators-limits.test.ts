/**
 * `cnn conv` / `cnn pool` past their limits: outputs too large to print (a 180x180 input with a
 * 1x1x1x30000 kernel aborted V8 with a FATAL ERROR), option values a 32-bit read wrapped, geometry that
 * overflowed; and --input/--kernel read from @file.json or standard input.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { runCliHere } from './helpers/cli-here.js';

const work = mkdtempSync(join(tmpdir(), 'cnn-calc-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** Input on stdin needs the executable; the rest run cnn's main() in this process (helpers/cli-here.ts). */
async function usage(args: string[], message: RegExp, input?: string): Promise<void> {
  const r = input === undefined ? await runCliHere(args) : runCli(args, { input });
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /FATAL|internal error|at .*\.js:\d+/);
}

test('an output too large to print is refused with the limit, before any work', async () => {
  const input = join(work, 'big.json');
  writeFileSync(input, JSON.stringify(Array.from({ length: 180 }, () => Array(180).fill(1))));
  const kernel = join(work, 'wide-kernel.json');
  writeFileSync(kernel, JSON.stringify([[[Array(30000).fill(1)]]]));
  await usage(['conv', '--input', `@${input}`, '--kernel', `@${kernel}`], /^cnn: error: the output would be 180x180x30000 = 972000000 values; cnn conv prints at most 1000000: use a smaller --input or fewer filters\n$/);
  const tall = join(work, 'tall.json');
  writeFileSync(tall, JSON.stringify(Array.from({ length: 1001 }, () => Array(1000).fill(0))));
  // "Same" windows covering the whole 1001x1000 input at 251x250 positions: 6.3e10 reads, minutes of work.
  await usage(['pool', '--input', `@${tall}`, '--pool-size', '2000', '--strides', '4', '--padding', 'same'], /^cnn: error: cnn pool would do 62812750000 window reads; it does at most 1073741824: use a smaller --pool-size or larger --strides\n$/);
  await usage(['pool', '--input', `@${tall}`, '--pool-size', '1'], /^cnn: error: the output would be 1001x1000x1 = 1001000 values; cnn pool prints at most 1000000: use a smaller --input or larger strides\n$/);
});

test('window options past 2^31-1 and geometry that overflowed are usage errors', async () => {
  const x = '[[1,2],[3,4]]';
  await usage(['conv', '--input', x, '--kernel', '[[1]]', '--strides', '4294967297'], /--strides must be at most 2147483647, got "4294967297"/);
  await usage(['conv', '--input', x, '--kernel', '[[1,1],[1,1]]', '--dilation', '2147483647', '--padding', 'same'],
    /--dilation\/--strides: along the height, kernel 2 with dilation 2147483647 spans \(2 - 1\) x 2147483647 \+ 1 = 2147483648 pixels, more than the limit of 2147483647/);
  await usage(['pool', '--input', x, '--pool-size', '2147483647', '--strides', '1', '--padding', 'same'], /--pool-size\/--strides: along the height, its windows reach pixel/);
  await usage(['pool', '--input', x, '--pool-size', '2', '--strides', '2,4294967297'], /--strides must be at most 2147483647/);
  // A stride of 2^31-1 with "same" is one window over the padded input (it returned [] before).
  const r = runCli(['conv', '--input', x, '--kernel', '[[1]]', '--strides', '2147483647', '--padding', 'same', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { output: [[1]] });
});

test('--input and --kernel read @file.json and standard input', async () => {
  const kernel = join(work, 'k.json');
  writeFileSync(kernel, '[[1, 0], [0, -1]]');
  const r = runCli(['conv', '--input', '-', '--kernel', `@${kernel}`, '--json'], { input: '[[1,2,3],[4,5,6],[7,8,9]]' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { output: [[-4, -4], [-4, -4]] });
  const p = runCli(['pool', '--input', '-', '--pool-size', '2', '--json'], { input: '[[1,2],[3,4]]' });
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout), { output: [[4]] });
  await usage(['conv', '--input', '-', '--kernel', '-'], /only one option can read standard input \("-"\); got --input and --kernel/, '');
  await usage(['conv', '--input', `@${join(work, 'missing.json')}`, '--kernel', '[[1]]'], /--input @.*missing\.json: cannot read .*missing\.json: no such file/);
  await usage(['conv', '--input', '-', '--kernel', '[[1]]'], /--input is not valid JSON/, '[[1,2');
});
