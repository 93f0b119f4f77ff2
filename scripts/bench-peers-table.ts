/** The arithmetic and the table of `npm run bench:peers` (scripts/bench-peers.ts), apart from the running. */

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A peer's medians at one model and thread count. */
export interface PeerFigures {
  version: string;
  train_images_per_s: number;
  eval_images_per_s: number;
}

/** One model at one thread count: our medians, and each peer's figures or why it has none. */
export interface Row {
  config: string;
  threads: number;
  isa: string;
  data: string;
  train_images_per_s: number;
  eval_images_per_s: number;
  peak_rss_mb: number;
  flops_per_image: number;
  train_gflops: number;
  percent_of_peak?: number;
  /** Peer name -> figures, or "not found" / "failed: ..." / "no peer model". */
  peers: Record<string, PeerFigures | string>;
  best_peer?: string;
  best_peer_train_images_per_s?: number;
  train_ratio_vs_best_peer?: number;
  eval_ratio_vs_best_peer_eval?: number;
  /** The best peer training figure of this model at any thread count measured (a peer may be faster on fewer threads). */
  best_peer_any_threads?: string;
  train_ratio_vs_best_peer_any_threads?: number;
  scaling_vs_1_thread?: number;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function figures(row: Row): [string, PeerFigures][] {
  return Object.entries(row.peers).filter((e): e is [string, PeerFigures] => typeof e[1] === 'object');
}

/** The fastest-training peer at this row's thread count and our ratio to it (and the same for evaluation). */
export function bestPeer(row: Row): Pick<Row, 'best_peer' | 'best_peer_train_images_per_s' | 'train_ratio_vs_best_peer' | 'eval_ratio_vs_best_peer_eval'> {
  const f = figures(row);
  if (f.length === 0) return {};
  const [name, best] = f.reduce((a, b) => (b[1].train_images_per_s > a[1].train_images_per_s ? b : a));
  const bestEval = Math.max(...f.map(([, p]) => p.eval_images_per_s));
  return {
    best_peer: `${name} (${best.version})`,
    best_peer_train_images_per_s: best.train_images_per_s,
    train_ratio_vs_best_peer: round2(row.train_images_per_s / best.train_images_per_s),
    eval_ratio_vs_best_peer_eval: bestEval > 0 ? round2(row.eval_images_per_s / bestEval) : undefined,
  };
}

/** Over one model's rows: the best peer figure at any thread count, and each row's ratio to it. */
export function bestPeerAnyThreads(rows: Row[]): void {
  let best: { label: string; train: number } | undefined;
  for (const r of rows) {
    for (const [name, p] of figures(r)) {
      if (!best || p.train_images_per_s > best.train) best = { label: `${name} at ${r.threads} thread(s)`, train: p.train_images_per_s };
    }
  }
  if (!best) return;
  for (const r of rows) {
    r.best_peer_any_threads = best.label;
    r.train_ratio_vs_best_peer_any_threads = round2(r.train_images_per_s / best.train);
  }
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
}

/** The plain-text tables: one line per model and thread count, training then evaluation images/s, then
 * each model's two-thread (or more) speed-up over one thread. */
export function formatTable(rows: Row[], peers: { name: string; label: string }[]): string {
  const peerCell = (r: Row, name: string, key: 'train_images_per_s' | 'eval_images_per_s'): string => {
    const v = r.peers[name];
    return v === undefined ? '-' : typeof v === 'string' ? v.split(':')[0]! : String(v[key]);
  };
  const ratio = (v: number | undefined) => (v !== undefined ? `${v}x` : '-');
  const model = (r: Row) => r.config + (r.data === 'synthetic' ? ' (synthetic)' : '');
  const table = (head: string[], body: string[][]) => {
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    return [pad(head, widths), ...body.map((b) => pad(b, widths))].join('\n') + '\n';
  };
  const train = table(
    ['model', 'threads', 'ours', ...peers.map((p) => p.label), 'best peer', 'ours/best', 'ours/best any T', 'GFLOP/s', '% of peak'],
    rows.map((r) => [
      model(r),
      String(r.threads),
      String(r.train_images_per_s),
      ...peers.map((p) => peerCell(r, p.name, 'train_images_per_s')),
      r.best_peer ?? '-',
      ratio(r.train_ratio_vs_best_peer),
      ratio(r.train_ratio_vs_best_peer_any_threads),
      r.train_gflops.toFixed(1),
      r.percent_of_peak !== undefined ? `${r.percent_of_peak.toFixed(1)}%` : '-',
    ]),
  );
  const evaluation = table(
    ['model', 'threads', 'ours', ...peers.map((p) => p.label), 'ours/best'],
    rows.map((r) => [model(r), String(r.threads), String(r.eval_images_per_s), ...peers.map((p) => peerCell(r, p.name, 'eval_images_per_s')), ratio(r.eval_ratio_vs_best_peer_eval)]),
  );
  const scaling = rows
    .filter((r) => r.threads > 1 && r.scaling_vs_1_thread !== undefined)
    .map((r) => `  ${r.config}: ${r.threads} threads / 1 thread = ${r.scaling_vs_1_thread}x\n`);
  const failures = rows.flatMap((r) => Object.entries(r.peers).filter(([, v]) => typeof v === 'string' && v.startsWith('failed')).map(([n, v]) => `  ${r.config} ${r.threads}T ${n}: ${v as string}\n`));
  return (
    'training images/s (medians), ours beside each peer at the same thread count; "any T": against the best peer at any thread count; GFLOP/s and % of peak are ours\n' +
    train +
    '\nevaluation images/s (medians); ours/best: against the fastest peer at this thread count\n' +
    evaluation +
    (scaling.length ? `\nour training speed-up over one thread:\n${scaling.join('')}` : '') +
    (failures.length ? `peer failures:\n${failures.join('')}` : '')
  );
}
