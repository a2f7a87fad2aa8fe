// Public library API. Each stage's owner adds its exports here.
export type * from './events/proc-event.js';
export type * from './events/event-sink.js';
export { formatTimeNs } from './time/format-time.js';
export { parseTimeNs } from './time/parse-time.js';
