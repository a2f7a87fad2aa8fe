/** Opening inputs as positioned byte streams; see open-inputs.ts and follow-file.ts. */
export { openInputs, SNIFF_BYTES, type OpenedInput, type OpenInputsOptions } from './open-inputs.js';
export { followFile, FOLLOW_POLL_MS, type FollowOptions } from './follow-file.js';
export { identifyFile, IDENTITY_HEAD_BYTES, type InputIdentity } from './input-identity.js';
export { createLineSplitter, DEFAULT_MAX_LINE_BYTES, type LineSplitter, type LineSplitterOptions } from './line-splitter.js';
export { detectCompression, sniffFormat, type Compression, type InputFormat } from './sniff-format.js';
export { listRotatedLogs, orderRotatedLogs } from './rotated-logs.js';
