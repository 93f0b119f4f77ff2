/**
 * A small CIFAR-10 archive in the real binary format, made by GNU tar: cifar-10-batches-bin/ with
 * data_batch_1..5.bin and test_batch.bin (each a few records of 1 label byte then 1024 red, 1024
 * green and 1024 blue values), batches.meta.txt and a readme, gzip-compressed. The pixel values
 * follow a formula (cifarPixel) so a test can check each decoded value independently. Variants
 * (a missing member, a wrong record size, extra entries) make the damaged archives of the tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/version.js';
import { cnnBin, type CliResult } from './cli.js';
import { getDataset, type ArchiveDatasetDefinition } from '../../src/data/index.js';

export const CIFAR_BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
export const CIFAR_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The value of pixel p (0..1023) of channel ch (0 red, 1 green, 2 blue) of record r of batch b. */
export function cifarPixel(b: number, r: number, p: number, ch: number): number {
  return (b * 31 + r * 7 + p * 3 + ch * 85) % 256;
}

export function cifarLabel(b: number, r: number): number {
  return (b * 3 + r) % 10;
}

export interface CifarArchiveOptions {
  records?: number;
  /** Bytes per record (3073 in the real format). */
  recordBytes?: number;
  /** Members left out. */
  omit?: string[];
  /** More entries: name inside the archive's folder -> content. */
  extra?: Record<string, string>;
  /** A label to put in record 0 of data_batch_1.bin (e.g. 10, out of range). */
  firstLabel?: number;
}

export interface CifarArchive {
  bytes: Buffer;
  sha256: string;
  size: number;
  records: number;
}

export function cifarBatch(b: number, records: number, recordBytes = 3073, firstLabel?: number): Buffer {
  const out = Buffer.alloc(records * recordBytes);
  for (let r = 0; r < records; r++) {
    const at = r * recordBytes;
    out[at] = r === 0 && b === 0 && firstLabel !== undefined ? firstLabel : cifarLabel(b, r);
    for (let i = 0; i < recordBytes - 1; i++) out[at + 1 + i] = cifarPixel(b, r, i % 1024, Math.floor(i / 1024));
  }
  return out;
}

/** Builds the archive with `tar czf` in a temporary folder (removed again) and returns its bytes. */
export function buildCifarArchive(options: CifarArchiveOptions = {}): CifarArchive {
  const records = options.records ?? 4;
  const work = mkdtempSync(join(tmpdir(), 'cnn-cifar-fixture-'));
  try {
    const folder = join(work, 'cifar-10-batches-bin');
    mkdirSync(folder);
    CIFAR_BATCHES.forEach((name, b) => {
      if (!options.omit?.includes(name)) writeFileSync(join(folder, name), cifarBatch(b, records, options.recordBytes, options.firstLabel));
    });
    if (!options.omit?.includes('batches.meta.txt')) writeFileSync(join(folder, 'batches.meta.txt'), `${CIFAR_CLASS_NAMES.join('\n')}\n\n`);
    writeFileSync(join(folder, 'readme.html'), '<meta HTTP-EQUIV="REFRESH" content="0; url=http://www.cs.toronto.edu/~kriz/cifar.html">\n');
    for (const [name, content] of Object.entries(options.extra ?? {})) writeFileSync(join(folder, name), content);
    const archive = join(work, 'cifar-10-binary.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', work, 'cifar-10-batches-bin']);
    const bytes = readFileSync(archive);
    return { bytes, sha256: sha256(bytes), size: bytes.length, records };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The real cifar10 definition with the archive pin and batch size of a fixture, and test mirrors. */
export function cifarFixtureDefinition(archive: { sha256: string; size: number; records: number }, mirrors: string[], name = 'cifar10'): ArchiveDatasetDefinition {
  const real = getDataset('cifar10');
  return { ...real, name, archive: { ...real.archive, sha256: archive.sha256, size: archive.size }, recordsPerBatch: archive.records, mirrors };
}

/** Runs the real CLI (bin/cnn.js) with `def` registered first (test/helpers/dataset-preload.ts). */
export function runCliWithDataset(args: string[], def: ArchiveDatasetDefinition, env: NodeJS.ProcessEnv = {}, cwd?: string): CliResult {
  const preload = pathToFileURL(join(packageRoot, 'dist', 'test', 'helpers', 'dataset-preload.js')).href;
  const r = spawnSync(process.execPath, ['--import', preload, cnnBin, ...args], {
    encoding: 'utf8',
    cwd,
    timeout: 300_000,
    env: { ...process.env, CNN_DATASET_MIRROR: '', ...env, CNN_TEST_DATASET_DEFINITION: JSON.stringify(def) },
  });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
