import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { visualize } from '../src/cli/commands/visualize.js';
import { decodePng } from '../src/viz/index.js';
import { SHEET_WIDTH } from '../src/viz/sheet.js';
import { makeWeightsFile, mnistTestImages } from './fixtures/viz/models.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-visualize-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const config = {
  name: 'small',
  input_shape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', name: 'conv_a', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'MaxPooling2D', name: 'pool_a', pool_size: 2 },
    { type: 'Conv2D', name: 'conv_b', filters: 3, kernel_size: 3, activation: 'relu' },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Dense', name: 'out', units: 10, activation: 'softmax' },
  ],
  dataset: 'mnist',
  preprocessing: { rescale: 1 / 255 },
};

test('cnn visualize draws the test image, every filter and every map, titled with layer names and shapes', async () => {
  const weights = join(dir, 'w.bin');
  await makeWeightsFile(config, weights);
  const out = join(dir, 'sheet.png');
  const r = await visualize({ weights, index: '3', layer: [], filters: 'mean', out, json: true });
  assert.deepEqual(r.sections, [
    'conv_a (Conv2D) filters: 4 x 3x3x1',
    'conv_a (Conv2D) feature maps (None, 26, 26, 4)',
    'pool_a (MaxPooling2D) feature maps (None, 13, 13, 4)',
    'conv_b (Conv2D) filters: 3 x 3x3x4, mean over 4 input channels',
    'conv_b (Conv2D) feature maps (None, 11, 11, 3)',
  ]);
  const png = decodePng(readFileSync(out));
  assert.equal(png.width, SHEET_WIDTH);
  assert.equal(png.height, r.height);
  // The top-left picture is test image #3 itself, 5 screen pixels per image pixel.
  const { images } = mnistTestImages(4);
  const image = images.subarray(3 * 784, 4 * 784);
  for (let y = 0; y < 28; y += 3) {
    for (let x = 0; x < 28; x += 3) {
      const i: number = ((12 + y * 5 + 2) * png.width + (12 + x * 5 + 2)) * 4;
      assert.equal(png.data[i], image[y * 28 + x], `image pixel (${y}, ${x})`);
    }
  }
});

test('cnn visualize --layer limits the sheet and names the layers it can show', async () => {
  const weights = join(dir, 'w2.bin');
  await makeWeightsFile(config, weights);
  const out = join(dir, 'one.png');
  const r = await visualize({ weights, index: '0', layer: ['conv_b'], filters: 'all', out });
  assert.deepEqual(r.sections, ['conv_b (Conv2D) filters: 3 x 3x3x4, a row per filter, a column per input channel', 'conv_b (Conv2D) feature maps (None, 11, 11, 3)']);
  await assert.rejects(visualize({ weights, index: '0', layer: ['nope'], filters: 'mean', out }), /no layer of that name; its convolution and pooling layers are conv_a, pool_a, conv_b/);
  await assert.rejects(visualize({ weights, index: '0', layer: ['out'], filters: 'mean', out }), /is a Dense layer/);
  await assert.rejects(visualize({ weights, index: '10000', layer: [], filters: 'mean', out }), /--index must be below 10000/);
  await assert.rejects(visualize({ weights, index: '0', layer: [], filters: 'mean', out: join(dir, 'x.jpg') }), /--out must name a \.png file/);
});
