/** Builds native networks from configs, and trained ones back from weights files. */
import type { ModelConfig } from '../model/config.js';
import { toNativeSpec } from '../model/spec.js';
import { validateConfig } from '../model/validate.js';
import { checkMemory } from '../model/validate-memory.js';
import { readWeightsFile, type WeightsContents } from '../model/weights-file.js';
import { loadNative, type NativeNetwork } from '../native.js';
import { restoreParams } from './network-state.js';

export function buildNetwork(config: ModelConfig): NativeNetwork {
  checkMemory(config); // refuses impossible work before the core allocates anything
  const native = loadNative();
  return new native.Network(toNativeSpec(config));
}

export interface TrainedModel {
  config: ModelConfig;
  net: NativeNetwork;
  contents: WeightsContents;
}

/** Reads a weights file, re-validates the config it carries, and loads its parameters. */
export async function loadTrainedModel(path: string): Promise<TrainedModel> {
  const contents = await readWeightsFile(path);
  const config = validateConfig(contents.config, `${path} (its model config)`);
  const net = buildNetwork(config);
  restoreParams(net, contents.tensors, path);
  return { config, net, contents };
}
