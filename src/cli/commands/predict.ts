import { Command } from 'commander';
import { CnnError } from '../../errors.js';

// Placeholder until this command is built; it fails plainly rather than pretending.
export function predictCommand(): Command {
  return new Command('predict').description('(not built yet)').action(() => {
    throw new CnnError('ERR_NOT_IMPLEMENTED', 'cnn predict is not built yet');
  });
}
