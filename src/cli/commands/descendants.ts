import type { Command } from '../command.js';
import { UserError } from '../user-error.js';

// PLACEHOLDER: replaced by the owner of this command.
const command: Command = {
  summary: '(not built yet)',
  usage: 'usage: proc-tree descendants (not built yet)',
  async run() {
    throw new UserError('descendants is not built yet');
  },
};

export default command;
