import type { Command } from '../command.js';
import { UserError } from '../user-error.js';

// PLACEHOLDER: replaced by the owner of this command.
const command: Command = {
  summary: '(not built yet)',
  usage: 'usage: proc-tree events (not built yet)',
  async run() {
    throw new UserError('events is not built yet');
  },
};

export default command;
