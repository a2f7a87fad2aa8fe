/**
 * Escaping for the report page. Command lines, file names and user names in it come from
 * the audited machine: an attacker chooses them (`bash -c '...' '<script>...'`).
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON to embed in `<script type="application/json">`: no `<` may appear raw, or a string
 * holding `</script>` would end the element and what follows would run as HTML.
 * `\u2028`/`\u2029` are escaped too so the text is valid in any script context.
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
