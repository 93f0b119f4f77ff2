import { Command } from 'commander';
import { CnnError } from '../../errors.js';

// Placeholder until this command is built; it fails plainly rather than pretending.
export function summaryCommand(): Command {
  return new Command('summary').description('(not built yet)').action(() => {
    throw new CnnError('ERR_NOT_IMPLEMENTED', 'cnn summary is not built yet');
  });
}
