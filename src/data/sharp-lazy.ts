/**
 * sharp loaded on first use. Loading it maps libvips (tens of MB of shared libraries) and costs
 * about 0.3 CPU-s, so every command that decodes or writes no image (training on IDX files, eval,
 * a usage error) would pay for it at start if it were a static import.
 */
import type SharpModule from 'sharp';

export type Sharp = typeof SharpModule;

let loading: Promise<Sharp> | undefined;

export function loadSharp(): Promise<Sharp> {
  loading ??= import('sharp').then((loaded) => loaded.default);
  return loading;
}
