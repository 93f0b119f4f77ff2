/**
 * `npm run bench:peers`: `cnn bench train` beside the PyTorch peer (scripts/peers/torch_seed_models.py
 * or $CNN_TORCH_PEER) on the same data in the same run, for both seed models at 1 and 2 threads, with
 * the ratio of our figure to PyTorch's best thread count. Each pair runs back to back, `--repeat` times,
 * and the medians are reported, because a shared machine's timings drift.
 *
 * usage: node dist/scripts/bench-peers.js [--batches N] [--repeat R] [--configs a.json,b.json] [--threads 1,2] [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyDataset } from '../src/data/index.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'bin', 'cnn.js');
const peerModel: Record<string, { torch: string; dataset: string }> = {
  'fashion-mnist.json': { torch: 'fashion', dataset: 'fashion-mnist' },
  'mnist.json': { torch: 'mnist', dataset: 'mnist' },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Ours { train_images_per_s: number; eval_images_per_s: number; peak_rss_mb: number; isa: string }
interface Peer { train: number; eval: number; version: string }

function runOurs(config: string, threads: number, batches: number): Ours {
  const out = execFileSync(process.execPath, [cli, 'bench', 'train', '--config', config, '--threads', String(threads), '--batches', String(batches), '--json'], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Ours;
}

/** PyTorch on the first `batches` batches for two epochs; the second epoch (warm) is the figure. */
function runPeer(python: string, peer: string, model: string, dataDir: string, threads: number, batches: number): Peer | undefined {
  const r = spawnSync(python, [peer, model, dataDir, '--epochs', '2', '--threads', String(threads), '--limit', String(batches * 32)], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`PyTorch peer failed (${model}, ${threads} threads): ${(r.stderr || '').trim().split('\n').pop()}\n`);
    return undefined;
  }
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { images_per_s: number; eval_s: number; peer: string });
  const last = lines[lines.length - 1]!;
  return { train: last.images_per_s, eval: 10000 / last.eval_s, version: last.peer };
}

async function main() {
  const batches = Number(arg('--batches', '300'));
  const repeat = Number(arg('--repeat', '3'));
  const configs = arg('--configs', 'fashion-mnist.json,mnist.json').split(',');
  const threadList = arg('--threads', '1,2').split(',').map(Number);
  const json = process.argv.includes('--json');
  const python = process.env.CNN_PYTHON ?? '/usr/bin/python3';
  const peer = process.env.CNN_TORCH_PEER ?? join(root, 'scripts', 'peers', 'torch_seed_models.py');
  const havePeer = existsSync(peer) && spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (!havePeer) process.stderr.write(`no PyTorch peer (${peer} with ${python} and torch): printing our figures only\n`);

  for (const config of configs) {
    const known = peerModel[config];
    const dataDir = known ? (await verifyDataset(known.dataset)).dir : '';
    const rows: { threads: number; ours: Ours[]; peer: Peer[] }[] = [];
    for (const threads of threadList) {
      const row = { threads, ours: [] as Ours[], peer: [] as Peer[] };
      for (let i = 0; i < repeat; i++) {
        row.ours.push(runOurs(config, threads, batches));
        if (havePeer && known) {
          const p = runPeer(python, peer, known.torch, dataDir, threads, batches);
          if (p) row.peer.push(p);
        }
      }
      rows.push(row);
    }
    const summary = rows.map((r) => ({
      config,
      threads: r.threads,
      isa: r.ours[0]!.isa,
      train_images_per_s: median(r.ours.map((o) => o.train_images_per_s)),
      eval_images_per_s: median(r.ours.map((o) => o.eval_images_per_s)),
      peak_rss_mb: Math.max(...r.ours.map((o) => o.peak_rss_mb)),
      peer: r.peer[0]?.version,
      peer_train_images_per_s: r.peer.length ? Math.round(median(r.peer.map((p) => p.train))) : undefined,
      peer_eval_images_per_s: r.peer.length ? Math.round(median(r.peer.map((p) => p.eval))) : undefined,
    }));
    const bestPeerTrain = Math.max(0, ...summary.map((s) => s.peer_train_images_per_s ?? 0));
    const bestPeerEval = Math.max(0, ...summary.map((s) => s.peer_eval_images_per_s ?? 0));
    const one = summary.find((s) => s.threads === 1)?.train_images_per_s;
    for (const s of summary) {
      const full = {
        ...s,
        train_ratio_vs_peer_best: bestPeerTrain ? Math.round((s.train_images_per_s / bestPeerTrain) * 100) / 100 : undefined,
        eval_ratio_vs_peer_best: bestPeerEval ? Math.round((s.eval_images_per_s / bestPeerEval) * 100) / 100 : undefined,
        scaling_vs_1_thread: one ? Math.round((s.train_images_per_s / one) * 100) / 100 : undefined,
      };
      if (json) process.stdout.write(`${JSON.stringify(full)}\n`);
      else
        process.stdout.write(
          `${config} ${s.threads}T  train ${s.train_images_per_s}/s (PyTorch ${s.peer_train_images_per_s ?? '-'}, ratio to its best ${full.train_ratio_vs_peer_best ?? '-'})` +
            `  eval ${s.eval_images_per_s}/s (PyTorch ${s.peer_eval_images_per_s ?? '-'}, ratio ${full.eval_ratio_vs_peer_best ?? '-'})` +
            `  x${full.scaling_vs_1_thread} vs 1T  peak RSS ${s.peak_rss_mb} MB\n`,
        );
    }
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench-peers: ${e.message}\n`);
  process.exit(1);
});
