import { Command } from 'commander';
import { CnnError } from '../../errors.js';

// Placeholder until this command is built; it fails plainly rather than pretending.
export function poolCommand(): Command {
  return new Command('pool').description('(not built yet)').action(() => {
    throw new CnnError('ERR_NOT_IMPLEMENTED', 'cnn pool is not built yet');
  });
}
