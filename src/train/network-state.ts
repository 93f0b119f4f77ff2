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

/** What decides an optimizer's number of state slots per parameter (see native/core/optimizers.cc). */
const SLOT_RULES: Record<string, string> = {
  sgd: 'sgd keeps 1 with momentum > 0, else 0',
  rmsprop: 'rmsprop keeps 1, plus 1 with momentum > 0 and 1 more when centered',
  adam: 'adam keeps 2, or 3 with amsgrad',
  adamw: 'adamw keeps 2, or 3 with amsgrad',
};

function slotWord(n: number): string {
  return `${n} state slot${n === 1 ? '' : 's'}`;
}

export function restoreOptimizer(net: NativeNetwork, opt: NonNullable<WeightsContents['optimizer']>, type: string, file: string): void {
  if (opt.type !== type) {
    throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: holds ${opt.type} optimizer state but the config trains with ${type}`);
  }
  const slots = net.optimizerSlots();
  if (opt.slots !== slots) {
    const rule = SLOT_RULES[type] ? ` (${SLOT_RULES[type]})` : '';
    throw new CnnError(
      'ERR_WEIGHTS_MISMATCH',
      `${file}: its ${opt.type} state has ${slotWord(opt.slots)} per parameter but the config's ${type} options need ${slots}${rule}: the optimizer's options differ from the ones it was saved with`,
    );
  }
  const byName = new Map(opt.state.map((t) => [t.name, t]));
  net.params().forEach((p, i) => {
    if (!p.trainable) return;
    const needed = net.getParam(i).length;
    for (let s = 0; s < opt.slots; s++) {
      const name = `${tensorName(p.layer, p.name)}/slot${s}`;
      const t = byName.get(name);
      if (!t) throw new CnnError('ERR_WEIGHTS_MISMATCH', `${file}: has no optimizer state ${name} for parameter ${tensorName(p.layer, p.name)}`);
      if (t.data.length !== needed) {
        throw new CnnError(
          'ERR_WEIGHTS_MISMATCH',
          `${file}: optimizer state ${name} has shape (${t.shape.join(', ')}) but parameter ${tensorName(p.layer, p.name)} has shape (${p.shape.join(', ')})`,
        );
      }
      net.setSlot(i, s, t.data);
    }
  });
  net.setIterations(opt.iterations);
}
