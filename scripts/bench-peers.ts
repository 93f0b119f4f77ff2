/**
 * `npm run bench:peers`: `cnn bench train` beside every peer framework found on this machine, on the same
 * data in the same run, per model and thread count: ours, each peer's, the best peer and our ratio to it,
 * and our GFLOP/s and share of the multiply-add peak. Each model and thread count runs ours and every
 * peer back to back, `--repeat` times, and the medians are reported, because a shared machine's timings
 * drift.
 *
 * Peers (scripts/peers/*.py, the same models, optimizers and batch 32, trained on the same first
 * `batches x 32` images for two epochs, the warm second epoch counted):
 *   pytorch      PyTorch for $CNN_PYTHON (default /usr/bin/python3: Debian's python3-torch 1.13),
 *                script $CNN_TORCH_PEER (default torch_seed_models.py)
 *   pytorch-venv PyTorch for $CNN_TORCH_PYTHON (a venv with PyTorch 2.x), the same script
 *   keras        Keras 3 / TensorFlow for $CNN_KERAS_PYTHON (default: .venv-keras/bin/python in the
 *                repository, else /tmp/keras-venv/bin/python, as the Keras tests look for it),
 *                script $CNN_KERAS_PEER (default keras_seed_models.py)
 * A peer whose Python or module is missing is reported as "not found"; one that fails is reported with
 * its last error line. Neither stops the run. bench-cifar.json runs on synthetic 32x32x3 data for us
 * (--synthetic) and for the peers alike, since CIFAR-10 is not on the machine and the speed does not
 * depend on the pixels.
 *
 * usage: node dist/scripts/bench-peers.js [--batches N] [--repeat R] [--configs a.json,b.json] [--threads 1,2] [--eval-images N] [--json]
 * --eval-images N: cnn evaluates only the first N test images (a quick run; the peers evaluate all of theirs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyDataset } from '../src/data/index.js';
import { bestPeer, bestPeerAnyThreads, formatTable, median, type PeerFigures, type Row } from './bench-peers-table.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'bin', 'cnn.js');
const peersDir = join(root, 'scripts', 'peers');

/** Our config -> the peer scripts' model name, and the dataset both train on (undefined: synthetic). */
const peerModel: Record<string, { model: string; dataset?: string }> = {
  'fashion-mnist.json': { model: 'fashion', dataset: 'fashion-mnist' },
  'mnist.json': { model: 'mnist', dataset: 'mnist' },
  'bench-cifar.json': { model: 'cifar' },
};

interface PeerDef {
  name: string;
  label: string;
  python: string;
  script: string;
  /** The Python module whose presence makes the peer "found". */
  module: string;
}

function peerDefs(): PeerDef[] {
  const defs: PeerDef[] = [
    { name: 'pytorch', label: 'PyTorch (python3)', python: process.env.CNN_PYTHON ?? '/usr/bin/python3', script: process.env.CNN_TORCH_PEER ?? join(peersDir, 'torch_seed_models.py'), module: 'torch' },
  ];
  if (process.env.CNN_TORCH_PYTHON) {
    defs.push({ name: 'pytorch-venv', label: 'PyTorch (venv)', python: process.env.CNN_TORCH_PYTHON, script: process.env.CNN_TORCH_PEER ?? join(peersDir, 'torch_seed_models.py'), module: 'torch' });
  }
  defs.push({ name: 'keras', label: 'Keras/TF', python: kerasPython(), script: process.env.CNN_KERAS_PEER ?? join(peersDir, 'keras_seed_models.py'), module: 'keras' });
  return defs;
}

/** As the Keras tests find it (test/helpers/keras-python.ts): $CNN_KERAS_PYTHON, the repository's .venv-keras, /tmp/keras-venv. */
function kerasPython(): string {
  if (process.env.CNN_KERAS_PYTHON) return process.env.CNN_KERAS_PYTHON;
  const candidates = [join(root, '.venv-keras', 'bin', 'python'), '/tmp/keras-venv/bin/python'];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** Why a peer cannot run here, or undefined when it can. */
function missingReason(p: PeerDef): string | undefined {
  if (!existsSync(p.python)) return `no ${p.python}`;
  if (!existsSync(p.script)) return `no ${p.script}`;
  const r = spawnSync(p.python, ['-c', `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(p.module)}) else 3)`], { encoding: 'utf8' });
  if (r.status !== 0) return `${p.python} has no module ${p.module}`;
  return undefined;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

interface Ours {
  train_images_per_s: number;
  eval_images_per_s: number;
  peak_rss_mb: number;
  isa: string;
  data: string;
  flops_per_image: number;
  train_gflops: number;
  peak_gflops?: number;
  percent_of_peak?: number;
}

function runOurs(config: string, threads: number, batches: number, synthetic: boolean, evalImages: string | undefined): Ours {
  const args = [
    cli, 'bench', 'train', '--config', config, '--threads', String(threads), '--batches', String(batches), '--json',
    ...(synthetic ? ['--synthetic'] : []),
    ...(evalImages !== undefined ? ['--eval-images', evalImages] : []),
  ];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Ours;
}

type PeerRun = { ok: true; train: number; eval: number; version: string } | { ok: false; error: string };

/** A peer on the first `batches` batches for two epochs; the second epoch (warm) is the figure. */
function runPeer(p: PeerDef, model: string, dataDir: string, threads: number, batches: number): PeerRun {
  const r = spawnSync(p.python, [p.script, model, dataDir, '--epochs', '2', '--threads', String(threads), '--limit', String(batches * 32)], { encoding: 'utf8' });
  const lines = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{'));
  if (r.status !== 0 || lines.length === 0) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop() || `exit code ${r.status}`;
    return { ok: false, error: `failed: ${why}` };
  }
  const last = JSON.parse(lines[lines.length - 1]!) as { images_per_s: number; eval_s: number; eval_count?: number; peer: string };
  return { ok: true, train: last.images_per_s, eval: (last.eval_count ?? 10000) / last.eval_s, version: last.peer };
}

/** The folder of IDX files the peers read: the verified cache, else the machine's offline copy. */
async function peerDataDir(dataset: string | undefined): Promise<string> {
  if (!dataset) return 'synthetic';
  const s = await verifyDataset(dataset, { useStamp: true });
  return s.state === 'verified' ? s.dir : (s.offlineCopies[0] ?? s.dir);
}

async function main() {
  const batches = Number(arg('--batches', '300'));
  const repeat = Number(arg('--repeat', '3'));
  const configs = arg('--configs', 'fashion-mnist.json,mnist.json,bench-cifar.json').split(',');
  const threadList = arg('--threads', '1,2').split(',').map(Number);
  const json = process.argv.includes('--json');
  const evalImages = process.argv.includes('--eval-images') ? arg('--eval-images', '') : undefined;

  const defs = peerDefs();
  const found = defs.filter((p) => {
    const why = missingReason(p);
    if (why && !json) process.stdout.write(`peer ${p.name} (${p.label}): not found (${why})\n`);
    return !why;
  });
  const missing = Object.fromEntries(defs.filter((p) => !found.includes(p)).map((p) => [p.name, 'not found']));

  const rows: Row[] = [];
  for (const config of configs) {
    const known = peerModel[config];
    const dataDir = known ? await peerDataDir(known.dataset) : '';
    const synthetic = known !== undefined && known.dataset === undefined;
    const perThreads: Row[] = [];
    for (const threads of threadList) {
      const ours: Ours[] = [];
      const runs: Record<string, PeerRun[]> = Object.fromEntries(found.map((p) => [p.name, []]));
      for (let i = 0; i < repeat; i++) {
        ours.push(runOurs(config, threads, batches, synthetic, evalImages));
        if (known) for (const p of found) runs[p.name]!.push(runPeer(p, known.model, dataDir, threads, batches));
      }
      const peers: Record<string, PeerFigures | string> = { ...missing };
      for (const p of found) {
        const ok = runs[p.name]!.filter((r): r is Extract<PeerRun, { ok: true }> => r.ok);
        if (!known) peers[p.name] = 'no peer model';
        else if (ok.length === 0) peers[p.name] = (runs[p.name]![0] as { error: string }).error;
        else peers[p.name] = { version: ok[0]!.version, train_images_per_s: Math.round(median(ok.map((r) => r.train))), eval_images_per_s: Math.round(median(ok.map((r) => r.eval))) };
      }
      const pct = ours.map((o) => o.percent_of_peak).filter((v): v is number => v !== undefined);
      perThreads.push({
        config,
        threads,
        isa: ours[0]!.isa,
        data: ours[0]!.data,
        train_images_per_s: median(ours.map((o) => o.train_images_per_s)),
        eval_images_per_s: median(ours.map((o) => o.eval_images_per_s)),
        peak_rss_mb: Math.max(...ours.map((o) => o.peak_rss_mb)),
        flops_per_image: ours[0]!.flops_per_image,
        train_gflops: Math.round(median(ours.map((o) => o.train_gflops)) * 10) / 10,
        percent_of_peak: pct.length ? Math.round(median(pct) * 10) / 10 : undefined,
        peers,
      });
    }
    const one = perThreads.find((r) => r.threads === 1)?.train_images_per_s;
    bestPeerAnyThreads(perThreads);
    for (const r of perThreads) {
      Object.assign(r, bestPeer(r), { scaling_vs_1_thread: one ? Math.round((r.train_images_per_s / one) * 100) / 100 : undefined });
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      rows.push(r);
    }
  }
  if (!json) process.stdout.write(formatTable(rows, defs.map((p) => ({ name: p.name, label: p.label }))));
}

main().catch((e: Error) => {
  process.stderr.write(`bench-peers: ${e.message}\n`);
  process.exit(1);
});
