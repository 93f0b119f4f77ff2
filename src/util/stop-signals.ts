/**
 * Ctrl-C (SIGINT) and SIGTERM ask a long run to stop the same way: schedulers, `timeout`, systemd
 * and mpirun send SIGTERM where a person presses Ctrl-C. The first signal sets a flag the native
 * worker reads between batches (a SharedArrayBuffer, so it is seen off the event loop); a second
 * one means "now", and the caller quits without saving.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell's convention, 128 + the signal number. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface StopWatch {
  /** cancel[0] becomes 1 at the first signal. */
  readonly cancel: Int32Array;
  /** The first signal received, if any. */
  readonly signal: StopSignal | undefined;
  /** Stops listening (the default handlers come back). */
  dispose(): void;
}

export interface StopHandlers {
  /** The first signal: the run will stop after the batch in flight. */
  first(signal: StopSignal): void;
  /** Any later signal: the caller should exit at once. */
  again(signal: StopSignal): void;
}

export function watchStopSignals(handlers: StopHandlers): StopWatch {
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  let received: StopSignal | undefined;
  const listeners = new Map<StopSignal, () => void>();
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]) {
    const listener = () => {
      if (received) {
        handlers.again(signal);
        return;
      }
      received = signal;
      Atomics.store(cancel, 0, 1);
      handlers.first(signal);
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  return {
    cancel,
    get signal() {
      return received;
    },
    dispose() {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
}
