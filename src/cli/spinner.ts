/**
 * The one wrapper around ora. It is silent when stderr is not a terminal or when the command prints
 * JSON, so piped output stays clean; otherwise it spins on stderr.
 */
import type { Ora } from 'ora';

export interface Spinner {
  start(text: string): void;
  text(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export function createSpinner(options: { json?: boolean; stream?: NodeJS.WriteStream } = {}): Spinner {
  const stream = options.stream ?? process.stderr;
  // A terminal that reports no width (some pseudo-terminals) makes ora redraw endlessly: treat it as piped.
  if (options.json || !stream.isTTY || !stream.columns || process.env.CI) {
    return { start() {}, text() {}, succeed() {}, fail() {}, stop() {} };
  }
  // ora (and its dozen modules) is loaded only when a terminal will see it: every piped or scripted
  // `cnn` start would pay for it otherwise. Calls made before it has loaded are applied in order.
  let spinner: Ora | undefined;
  const pending: ((o: typeof import('ora').default) => void)[] = [];
  let ora: typeof import('ora').default | undefined;
  void import('ora').then((m) => {
    ora = m.default;
    for (const f of pending.splice(0)) f(ora);
  });
  const withOra = (f: (o: typeof import('ora').default) => void): void => {
    if (ora) f(ora);
    else pending.push(f);
  };
  return {
    start(text) {
      withOra((o) => {
        spinner = o({ text, stream, discardStdin: false }).start();
      });
    },
    text(text) {
      withOra(() => {
        if (spinner) spinner.text = text;
      });
    },
    succeed(text) {
      withOra(() => {
        spinner?.succeed(text);
        spinner = undefined;
      });
    },
    fail(text) {
      withOra(() => {
        spinner?.fail(text);
        spinner = undefined;
      });
    },
    stop() {
      withOra(() => {
        spinner?.stop();
        spinner = undefined;
      });
    },
  };
}
