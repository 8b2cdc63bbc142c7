/**
 * `Headers`: the ordered header lines websocket-driver exposes at
 * `websocket-driver/lib/websocket/driver/headers`, which faye-websocket's
 * EventSource requires at load time.
 *
 * As websocket-driver's: a name is sent once (the first value set wins)
 * except those HTTP allows to repeat; spaces around names and values are
 * trimmed; `undefined` values are skipped. Unlike it, a CR or LF in a name
 * or value throws (it would inject a header), and trimming is one linear
 * pass rather than a regular expression.
 *
 * @module
 */

/** Header names that may appear more than once in a response. */
const ALLOWED_DUPLICATES: readonly string[] = ['set-cookie', 'set-cookie2', 'warning', 'www-authenticate'];

/** Trims spaces (only spaces, as websocket-driver does) from both ends. */
function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
  return text.slice(start, end);
}

function checkNoLineBreak(what: string, text: string): void {
  if (text.includes('\r') || text.includes('\n')) {
    throw new TypeError(`header ${what} may not contain CR or LF: ${JSON.stringify(text)}`);
  }
}

/** An ordered list of header lines; see the module comment. */
export class Headers {
  /** Header names that may repeat (lower case). */
  readonly ALLOWED_DUPLICATES = ALLOWED_DUPLICATES;
  #sent = new Set<string>();
  #lines: string[] = [];

  constructor() {
    this.clear();
  }

  /** Forgets every header. */
  clear(): void {
    this.#sent = new Set();
    this.#lines = [];
  }

  /** Adds `name: value` unless the name was set before (and may not repeat). */
  set(name: string, value: unknown): void {
    if (value === undefined) return;
    const cleanName = trimSpaces(String(name));
    const cleanValue = trimSpaces(String(value));
    checkNoLineBreak('name', cleanName);
    checkNoLineBreak('value', cleanValue);
    const key = cleanName.toLowerCase();
    if (this.#sent.has(key) && !ALLOWED_DUPLICATES.includes(key)) return;
    this.#sent.add(key);
    this.#lines.push(`${cleanName}: ${cleanValue}\r\n`);
  }

  /** The lines, each ending in CRLF. */
  toString(): string {
    return this.#lines.join('');
  }
}
