/**
 * The check of issue 12: Fashion-MNIST exported as PNGs (`cnn data export`) and read back as a
 * folder dataset trains like the IDX files. It exports the dataset (unless --dir holds an export
 * already), measures the folder's load speed cold (no cache, every PNG decoded) and cached, then
 * trains the seed config data/fashion-mnist.json for --epochs (5) with the same seed on the IDX
 * files and on the folder, and compares the test accuracies: exit code 1 when they differ by more
 * than --tolerance (0.005). The folder's order is Keras's (class folders sorted, numpy's seeded
 * shuffle) and its class numbers are the sorted folder names, so the runs are not identical, only
 * alike; test/45.data-folder-config.test.ts checks identical losses on the same order.
 *
 * usage: node dist/scripts/compare-folder-idx.js [--dir DIR] [--epochs 5] [--seed 2] [--tolerance 0.005] [--load-only]
 * Takes a few minutes of CPU per epoch; not for a loaded machine's test suite.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportDatasetImages } from '../src/data/export-images.js';
import { loadDataset } from '../src/data/index.js';
import { datasets, imageDatasetFromDirectory, modelFromConfig, type Dataset } from '../src/index.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const epochs = Number(arg('--epochs', '5'));
const seed = Number(arg('--seed', '2'));
const tolerance = Number(arg('--tolerance', '0.005'));
const given = arg('--dir', '');
const dir = given || join(mkdtempSync(join(tmpdir(), 'cnn-compare-')), 'fashion-png');
const cacheDir = mkdtempSync(join(tmpdir(), 'cnn-compare-cache-'));

async function main(): Promise<number> {
  if (!existsSync(join(dir, 'train'))) {
    const started = performance.now();
    const n = await exportDatasetImages(await loadDataset('fashion-mnist'), dir, { onProgress: (d, t) => process.stderr.write(`\rexporting ${d} of ${t}`) });
    process.stderr.write(`\nexported ${n} PNG files to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const options = { imageSize: [28, 28] as [number, number], colorMode: 'grayscale' as const, seed, cacheDir, onInfo: (l: string) => console.log(l) };
  const timed = async (label: string, load: () => Promise<Dataset>) => {
    const started = performance.now();
    const ds = await load();
    const s = (performance.now() - started) / 1000;
    const n = ds.train.count + ds.test.count;
    console.log(`${label}: ${n} images in ${s.toFixed(2)} s = ${Math.round(n / s)} images/s`);
    return ds;
  };
  await timed('folder load, cold (decoding, writing the cache)', () => imageDatasetFromDirectory(dir, options));
  const folder = await timed('folder load, cached', () => imageDatasetFromDirectory(dir, options));
  if (process.argv.includes('--load-only')) return 0;

  const config = JSON.parse(readFileSync(join(root, 'data', 'fashion-mnist.json'), 'utf8'));
  const accuracy = async (label: string, data: Dataset) => {
    const model = modelFromConfig({ ...config, seed });
    const started = performance.now();
    await model.fit(data, { epochs, batchSize: config.batch_size, verbose: 0 });
    const r = await model.evaluate(data);
    if (r.accuracy === undefined) throw new Error("evaluate() gave no accuracy");
    console.log(`${label}: test accuracy ${r.accuracy.toFixed(4)} after ${epochs} epochs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return r.accuracy;
  };
  const a = await accuracy('IDX files', await datasets.load('fashion-mnist'));
  const b = await accuracy('PNG folder', folder);
  const diff = Math.abs(a - b);
  console.log(`difference ${(100 * diff).toFixed(2)}% (tolerance ${(100 * tolerance).toFixed(2)}%): ${diff <= tolerance ? 'ok' : 'TOO LARGE'}`);
  return diff <= tolerance ? 0 : 1;
}

main()
  .then((code) => {
    rmSync(cacheDir, { recursive: true, force: true });
    if (!given) rmSync(join(dir, '..'), { recursive: true, force: true });
    process.exitCode = code;
  })
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
