import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  formatEpochHeader,
  formatEta,
  formatMetrics,
  formatMetricValue,
  formatProgressLine,
  formatStepTime,
  ProgressLine,
  pyExp,
  pyFixed,
} from '../src/cli/progress.js';

const BAR = (done: number) => '\u2501'.repeat(done) + '\u2501'.repeat(20 - done);

/** A stream that records writes, and a clock the test moves by hand (milliseconds). */
function harness(isTTY: boolean) {
  const writes: string[] = [];
  let now = 0;
  const stream = { isTTY, write: (s: string) => writes.push(s) };
  return {
    writes,
    stream,
    clock: () => now,
    at(ms: number) {
      now = ms;
    },
    get output() {
      return writes.join('');
    },
  };
}

test('metric values: 4 decimals, %.4e at or below 1e-3, Python rounding', () => {
  const cases: [number, string][] = [
    [0.28714, '0.2871'],
    [0.91234, '0.9123'],
    [5e-4, '5.0000e-04'],
    [0, '0.0000e+00'],
    [1e-3, '1.0000e-03'],
    [0.0010001, '0.0010'],
    [-0.5, '-0.5000'],
    [0.03125, '0.0312'], // an exact tie: Python rounds half to even, toFixed would give 0.0313
    [12345.678, '12345.6780'],
    [-2.5e-5, '-2.5000e-05'],
    [1e-300, '1.0000e-300'],
    [0.00099999999, '1.0000e-03'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [v, text] of cases) assert.equal(formatMetricValue(v), text, `value ${v}`);
  assert.equal(formatMetrics({ loss: 0.28714, accuracy: 0.91234, val_loss: 5e-4, val_accuracy: 1 }), ' - accuracy: 0.9123 - loss: 0.2871 - val_accuracy: 1.0000 - val_loss: 5.0000e-04');
});

test('pyFixed and pyExp follow Python on ties, signs and extremes', () => {
  assert.equal(pyFixed(2.5, 0), '2');
  assert.equal(pyFixed(3.5, 0), '4');
  assert.equal(pyFixed(-0, 4), '-0.0000');
  assert.equal(pyFixed(0.125, 2), '0.12');
  assert.equal(pyFixed(0.375, 2), '0.38');
  assert.equal(pyFixed(1e-7, 4), '0.0000');
  assert.equal(pyExp(123456, 4), '1.2346e+05');
  assert.equal(pyExp(12344.5, 4), '1.2344e+04');
  assert.equal(pyExp(5e-324, 4), '4.9407e-324');
  assert.equal(pyExp(1.7976931348623157e308, 4), '1.7977e+308');
});

test('pyFixed and pyExp agree with Python itself on many values (skipped without python3)', (t) => {
  const values: number[] = [];
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 400; i++) values.push((next() - 0.5) * 10 ** Math.floor(next() * 16 - 10));
  for (let i = 0; i < 100; i++) values.push(Math.floor(next() * 20000) / 32); // exact ties at 4 decimals
  const script = 'import sys,json\nfor v in json.load(sys.stdin):\n  print(f"{v:.4f} {v:.4e} {v:.0f}")';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(values), encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    t.skip('python3 is not available');
    return;
  }
  const lines = r.stdout.trim().split('\n');
  values.forEach((v, i) => assert.equal(`${pyFixed(v, 4)} ${pyExp(v, 4)} ${pyFixed(v, 0)}`, lines[i], `value ${v}`));
});

test('ETA: whole seconds, m:ss past a minute, h:mm:ss past an hour', () => {
  assert.equal(formatEta(0), '0s');
  assert.equal(formatEta(45.9), '45s');
  assert.equal(formatEta(60), '60s');
  assert.equal(formatEta(60.5), '1:00');
  assert.equal(formatEta(125), '2:05');
  assert.equal(formatEta(3600), '60:00');
  assert.equal(formatEta(3661.5), '1:01:01');
  assert.equal(formatEta(36000 + 59 * 60 + 59.9), '10:59:59');
});

test('time per step: s, ms or us with %.0f', () => {
  assert.equal(formatStepTime(0), ' 0s/step');
  assert.equal(formatStepTime(1), ' 1s/step');
  assert.equal(formatStepTime(2.5), ' 2s/step');
  assert.equal(formatStepTime(0.9996), ' 1000ms/step');
  assert.equal(formatStepTime(0.0025), ' 2ms/step');
  assert.equal(formatStepTime(1e-3), ' 1ms/step');
  assert.equal(formatStepTime(0.0009996), ' 1000us/step');
  assert.equal(formatStepTime(4.2e-5), ' 42us/step');
});

test('the line: counter right-aligned to the total, int(20*step/total) done cells, ETA or elapsed', () => {
  const base = { perStep: 0.002, elapsed: 3.7, metrics: { loss: 0.5 } };
  assert.equal(formatProgressLine({ ...base, step: 5, total: 1875, finished: false }), `   5/1875 ${BAR(0)} 3s 2ms/step - loss: 0.5000`);
  assert.equal(formatProgressLine({ ...base, step: 3, total: 10, finished: false }), ` 3/10 ${BAR(6)} 0s 2ms/step - loss: 0.5000`);
  assert.equal(formatProgressLine({ ...base, step: 2, total: 3, finished: false }), `2/3 ${BAR(13)} 0s 2ms/step - loss: 0.5000`);
  assert.equal(formatProgressLine({ ...base, step: 1875, total: 1875, finished: true }), `1875/1875 ${BAR(20)} 4s 2ms/step - loss: 0.5000`);
  assert.equal(formatProgressLine({ ...base, step: 7, total: 0, finished: false }), `      7/Unknown 4s 2ms/step - loss: 0.5000`);
  assert.equal(formatEpochHeader(3, 10), 'Epoch 3/10');
  assert.equal(formatEpochHeader(1, 1), '');
});

test('piped: one final line per epoch, epoch headers only when epochs > 1', () => {
  const h = harness(false);
  const line = new ProgressLine({ total: 1875, stream: h.stream, now: h.clock });
  for (const epoch of [1, 2]) {
    h.at(epoch * 100_000);
    line.epochHeader(epoch, 2);
    // The first step is slow (500 ms) and is left out of the per-step time; the rest take 2 ms.
    for (let step = 1; step <= 1875; step++) {
      h.at(epoch * 100_000 + 500 + (step - 1) * 2);
      line.update(step, { accuracy: 0.9, loss: 0.3 });
    }
    line.finish({ loss: 0.28714, accuracy: 0.91234 });
  }
  const final = `1875/1875 ${BAR(20)} 4s 2ms/step - accuracy: 0.9123 - loss: 0.2871\n`;
  assert.equal(h.output, `Epoch 1/2\n${final}Epoch 2/2\n${final}`);

  const single = harness(false);
  const one = new ProgressLine({ total: 2, stream: single.stream, now: single.clock });
  one.epochHeader(1, 1);
  single.at(1500);
  one.update(1, { loss: 1 });
  single.at(2500);
  one.finish({ loss: 0.5 });
  assert.equal(single.output, `2/2 ${BAR(20)} 2s 1s/step - loss: 0.5000\n`);
});

test('terminal: redraws in place with \\r at most every 0.05 s, pads over a longer line', () => {
  const h = harness(true);
  const line = new ProgressLine({ total: 1875, stream: h.stream, now: h.clock, color: false });
  h.at(500);
  line.update(1, { loss: 1 });
  assert.deepEqual(h.writes, [`\r   1/1875 ${BAR(0)} 15:37 500ms/step - loss: 1.0000`]);
  h.at(502);
  line.update(2, { loss: 1 });
  h.at(549);
  line.update(3, { loss: 1 });
  assert.equal(h.writes.length, 1, 'no redraw within 0.05 s of the last one');
  h.at(550);
  line.update(4, { loss: 1 });
  assert.equal(h.writes.length, 2);
  // (550 - 500) / 3 steps = 16.67 ms a step; ETA 1871 * 0.01667 = 31.18 s
  const second = `\r   4/1875 ${BAR(0)} 31s 17ms/step - loss: 1.0000`;
  const firstWidth = h.writes[0].length - 1;
  assert.equal(h.writes[1], second + ' '.repeat(firstWidth - (second.length - 1)));
  h.at(4248);
  line.finish({ loss: 0.25 });
  assert.equal(h.writes[2], `\r1875/1875 ${BAR(20)} 4s 2ms/step - loss: 0.2500` + ' '.repeat(2) + '\n');
});

test('terminal with colour: bold counter and time, green done cells, grey rest, as Keras', () => {
  const h = harness(true);
  const line = new ProgressLine({ total: 3, stream: h.stream, now: h.clock, color: true, interval: 0 });
  h.at(1000);
  line.update(1, { loss: 2 });
  assert.equal(
    h.writes[0],
    '\r\x1b[1m1/3\x1b[0m \x1b[32m' + '\u2501'.repeat(6) + '\x1b[0m\x1b[37m' + '\u2501'.repeat(14) + '\x1b[0m \x1b[1m2s\x1b[0m 1s/step - loss: 2.0000',
  );
  h.at(3000);
  line.finish({ loss: 1 });
  assert.equal(h.writes[1], '\r\x1b[1m3/3\x1b[0m \x1b[32m' + '\u2501'.repeat(20) + '\x1b[0m\x1b[37m\x1b[0m \x1b[1m3s\x1b[0m 1s/step - loss: 1.0000\n');
});

test('shown values are averaged across updates like Keras; the final values are shown as given', () => {
  const h = harness(true);
  const line = new ProgressLine({ total: 10, stream: h.stream, now: h.clock, color: false, interval: 0 });
  h.at(100);
  line.update(1, { loss: 1 });
  h.at(200);
  line.update(2, { loss: 0.5 });
  assert.match(h.writes[1], / - loss: 0\.7500 *$/);
  h.at(300);
  line.update(4, { loss: 0.25 }); // weight 2 (two steps since the last update): (1 + 0.5 + 0.5) / 4
  assert.match(h.writes[2], / - loss: 0\.5000 *$/);
  h.at(1000);
  line.finish({ loss: 0.125 });
  assert.match(h.writes[3], / - loss: 0\.1250\s*\n$/);
});

test('a new epoch header closes a partly drawn terminal line; interrupt() does too', () => {
  const h = harness(true);
  const line = new ProgressLine({ total: 10, stream: h.stream, now: h.clock, color: false });
  h.at(10);
  line.update(1, { loss: 1 });
  line.epochHeader(2, 3);
  assert.equal(h.writes.slice(1).join(''), '\nEpoch 2/3\n');
  h.at(20);
  line.update(1, { loss: 1 });
  line.interrupt();
  assert.equal(h.writes.at(-1), '\n');
  line.interrupt();
  assert.equal(h.writes.at(-1), '\n');
  assert.equal(h.writes.filter((w) => w === '\n').length, 2, 'a closed line is not closed twice');
});
