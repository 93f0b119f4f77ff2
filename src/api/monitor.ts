/**
 * Which way a monitored metric should go, as Keras 3 decides it (keras/src/callbacks/monitor_callback.py):
 * "min" and "max" say so; "auto" minimises a loss and maximises accuracy, and refuses anything else.
 */
import { usageError } from '../errors.js';

export type Mode = 'auto' | 'min' | 'max';

export function checkMode(mode: unknown, owner: string): Mode {
  if (mode === 'auto' || mode === 'min' || mode === 'max') return mode;
  throw usageError('ERR_BAD_OPTION', `${owner}: mode must be "auto", "min" or "max", got ${JSON.stringify(mode)}`);
}

/** True when the metric improves by getting smaller. */
export function lowerIsBetter(monitor: string, mode: Mode, owner: string): boolean {
  if (mode !== 'auto') return mode === 'min';
  const metric = monitor.replace(/^val_/, '');
  if (metric === 'loss') return true;
  if (metric === 'accuracy' || metric === 'acc') return false;
  throw usageError(
    'ERR_BAD_OPTION',
    `${owner} received monitor=${JSON.stringify(monitor)} but cannot tell whether it should be maximized or minimized; pass mode: 'max' or mode: 'min'`,
  );
}

/** Warns (once per message) the way Keras's warnings.warn does, without stopping training. */
const warned = new Set<string>();
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'CNN_CALLBACK' });
}
