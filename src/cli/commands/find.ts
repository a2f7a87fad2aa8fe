import type { Command } from '../command.js';
import { UserError } from '../user-error.js';

// PLACEHOLDER: replaced by the owner of this command.
const command: Command = {
  summary: '(not built yet)',
  usage: 'usage: proc-tree find (not built yet)',
  async run() {
    throw new UserError('find is not built yet');
  },
};

export default command;
