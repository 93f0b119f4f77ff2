import { Command } from 'commander';
import { CnnError } from '../../errors.js';

// Placeholder until this command is built; it fails plainly rather than pretending.
export function evalCommand(): Command {
  return new Command('eval').description('(not built yet)').action(() => {
    throw new CnnError('ERR_NOT_IMPLEMENTED', 'cnn eval is not built yet');
  });
}
