/**
 * Text from a log (command lines, paths) as it may be shown on a terminal: control
 * characters become visible escapes (`\n`, `\r`, `\t`, `\xNN`). Command lines are chosen by
 * whoever ran them: raw, an ESC sequence could clear the screen or retitle the window, and a
 * newline or carriage return could forge a row of the table a responder is reading.
 */
export function printableText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, escapeOne);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  return NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
