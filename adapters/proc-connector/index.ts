/** The proc connector adapter's public surface (see README.md in this folder). */
export { readProcConnectorCapture, type ReplayOptions, type ReplaySummary } from './read-capture.js';
export { decodeDatagrams, type DecodeProblem, type DecodeResult } from './decode-datagram.js';
export type { ConnectorEvent, ConnectorHeader, ConnectorPayload } from './connector-event.js';
export { PROC_EVENT_WHAT } from './connector-event.js';
export { ConnectorTranslator, type TranslatorOptions, type TranslatorStats } from './to-proc-events.js';
export { runLiveConnector, type LiveOptions, type LiveSummary } from './live-connector.js';
export { watchIntoHistory, type WatchOptions, type WatchSummary } from './watch-into-history.js';
export { CaptureWriter } from './capture-writer.js';
export { CAPTURE_FORMAT, type CaptureMeta, type LiveRecord } from './capture-files.js';
