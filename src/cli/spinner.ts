/**
 * The one wrapper around ora. It is silent when stderr is not a terminal or when the command prints
 * JSON, so piped output stays clean; otherwise it spins on stderr.
 */
import ora, { type Ora } from 'ora';

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
  let spinner: Ora | undefined;
  return {
    start(text) {
      spinner = ora({ text, stream, discardStdin: false }).start();
    },
    text(text) {
      if (spinner) spinner.text = text;
    },
    succeed(text) {
      spinner?.succeed(text);
      spinner = undefined;
    },
    fail(text) {
      spinner?.fail(text);
      spinner = undefined;
    },
    stop() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}
