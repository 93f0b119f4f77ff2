/** Moves a network's parameters and optimizer state to and from the weights file's tensors. */
import { CnnError } from '../errors.js';
import type { NativeNetwork } from '../native.js';
import type { WeightsContents, WeightsTensor } from '../model/weights-file.js';

function tensorName(layer: string, name: string): string {
  return `${layer}/${name}`;
}

export function captureParams(net: NativeNetwork): WeightsTensor[] {
  return net.params().map((p, i) => ({
    name: tensorName(p.layer, p.name),
    layer: p.layer,
    shape: p.shape,
    data: net.getParam(i),
    trainable: p.trainable,
  }));
}

export function captureOptimizer(net: NativeNetwork, type: string): NonNullable<WeightsContents['optimizer']> {
  const slots = net.optimizerSlots();
  const state: WeightsTensor[] = [];
  net.params().forEach((p, i) => {
    if (!p.trainable) return;
    for (let s = 0; s < slots; s++) {
      state.push({ name: `${tensorName(p.layer, p.name)}/slot${s}`, layer: p.layer, shape: p.shape, data: net.getSlot(i, s) });
    }
  });
  return { type, slots, iterations: net.getIterations(), state };
}

/** Loads tensors into the network by name; every parameter must be present with its shape. */
export function restoreParams(net: NativeNetwork, tensors: WeightsTensor[], file: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  net.params().forEach((p, i) => {
    const name = tensorName(p.layer, p.name);
    const t = byName.get(name);
    if (!t) throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: has no tensor ${name} for layer ${p.layer}`);
    if (t.shape.join(',') !== p.shape.join(',')) {
      throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: tensor ${name} has shape (${t.shape.join(', ')}) but layer ${p.layer} needs (${p.shape.join(', ')})`);
    }
    net.setParam(i, t.data);
  });
}

export function restoreOptimizer(net: NativeNetwork, opt: NonNullable<WeightsContents['optimizer']>, type: string, file: string): void {
  if (opt.type !== type || opt.slots !== net.optimizerSlots()) {
    throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: holds ${opt.type} state but the config trains with ${type}`);
  }
  const byName = new Map(opt.state.map((t) => [t.name, t]));
  net.params().forEach((p, i) => {
    if (!p.trainable) return;
    for (let s = 0; s < opt.slots; s++) {
      const name = `${tensorName(p.layer, p.name)}/slot${s}`;
      const t = byName.get(name);
      if (!t || t.data.length !== net.getParam(i).length) {
        throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: optimizer state ${name} is missing or has the wrong size`);
      }
      net.setSlot(i, s, t.data);
    }
  });
  net.setIterations(opt.iterations);
}
