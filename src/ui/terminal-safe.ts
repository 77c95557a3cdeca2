/**
 * Strings that came from outside (archive entry names, file contents, server answers,
 * subprocess output) are made safe to print: control characters — ESC sequences that clear
 * the screen or fake colours, NUL, backspace, carriage return, C1 controls — and the Unicode
 * bidi overrides that reorder text become visible escapes (`\x1b`, `\u202e`). Newlines and
 * tabs stay. dhtl's own styling is applied after this, never passed through it.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
