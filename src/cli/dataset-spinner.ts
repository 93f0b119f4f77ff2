/**
 * The CLI's view of a dataset being fetched: the library reports steps and download progress through
 * onStatus/onProgress callbacks (it never draws anything); here they drive a spinner on stderr, which
 * is silent for --json and when stderr is not a terminal.
 */
import { formatProgress, type DownloadProgress } from '../data/index.js';
import { createSpinner, type Spinner } from './spinner.js';

export interface DatasetCallbacks {
  onStatus: (message: string) => void;
  onProgress: (progress: DownloadProgress) => void;
  /** Lines that stay (Keras's "Found 60000 files belonging to 10 classes."): on stderr, so stdout stays the command's. */
  onInfo: (line: string) => void;
}

function printInfo(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Callbacks that show their text on `spinner` (one the command already runs, e.g. "Loading the dataset"). */
export function spinnerCallbacks(spinner: Spinner): DatasetCallbacks {
  let last = 'Loading the dataset';
  return {
    onStatus: (text) => spinner.text((last = text)),
    onProgress: (p) => spinner.text((last = formatProgress(p))),
    onInfo: (line) => {
      spinner.stop();
      printInfo(line);
      spinner.start(last);
    },
  };
}

/** A spinner of its own that starts with the first report; finish() ends it with a final line. */
export function datasetSpinner(json: boolean | undefined): DatasetCallbacks & { finish(ok: boolean, text?: string): void } {
  const spinner = createSpinner({ json });
  let started = false;
  const show = (text: string) => {
    if (!started) spinner.start(text);
    else spinner.text(text);
    started = true;
  };
  return {
    onStatus: show,
    onProgress: (p) => show(formatProgress(p)),
    onInfo: (line) => {
      if (started) spinner.stop();
      started = false;
      printInfo(line);
    },
    finish(ok, text) {
      if (started) (ok ? spinner.succeed(text) : spinner.fail(text));
    },
  };
}
