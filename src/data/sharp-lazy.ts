/**
 * sharp loaded on first use. Loading it maps libvips (tens of MB of shared libraries) and costs
 * about 0.3 CPU-s, so every command that decodes or writes no image (training on IDX files, eval,
 * a usage error) would pay for it at start if it were a static import.
 */
import type SharpModule from 'sharp';

export type Sharp = typeof SharpModule;

export async function loadSharp(): Promise<Sharp> {
  return (await import('sharp')).default; // import() keeps the module: later calls cost nothing
}
