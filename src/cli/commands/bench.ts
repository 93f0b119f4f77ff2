import { Command } from 'commander';
import { CnnError } from '../../errors.js';

// Placeholder until this command is built; it fails plainly rather than pretending.
export function benchCommand(): Command {
  return new Command('bench').description('(not built yet)').action(() => {
    throw new CnnError('ERR_NOT_IMPLEMENTED', 'cnn bench is not built yet');
  });
}
