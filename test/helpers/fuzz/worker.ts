/**
 * Runs fuzz cases for the runner (runner.ts), one message at a time, in a worker thread so that a
 * case that hangs (even in a synchronous loop) or exhausts memory can be stopped from outside.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { CnnError } from '../../../src/errors.js';
import { targetByName, type FuzzCase } from './targets.js';

export interface CaseMessage {
  id: number;
  target: string;
  files: FuzzCase;
}

export type CaseResult =
  | { id: number; outcome: 'ok' }
  | { id: number; outcome: 'refused'; code: string; message: string }
  | { id: number; outcome: 'bug'; name: string; message: string; stack: string };

let count = 0;

// (`node --test dist/test/` loads every file there, this one too: outside a worker it does nothing.)
parentPort?.on('message', async (msg: CaseMessage) => {
  const scratch = (workerData as { scratch: string }).scratch;
  const dir = join(scratch, `case-${count++}`);
  mkdirSync(dir, { recursive: true });
  let result: CaseResult;
  try {
    await targetByName(msg.target).run(msg.files, dir);
    result = { id: msg.id, outcome: 'ok' };
  } catch (e) {
    if (e instanceof CnnError) result = { id: msg.id, outcome: 'refused', code: e.code, message: e.message.slice(0, 500) };
    else {
      const err = e as Error;
      result = { id: msg.id, outcome: 'bug', name: err?.name ?? typeof e, message: String(err?.message ?? e).slice(0, 2000), stack: String(err?.stack ?? '') };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  parentPort!.postMessage(result);
});
