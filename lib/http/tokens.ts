/**
 * HTTP token rules and header-list tokenising (RFC 9110 §5.6).
 *
 * Everything here runs in one linear pass over its input: no regular
 * expression whose time can grow faster than the input (the quadratic
 * split on a pattern of optional spaces around a comma was ws
 * CVE-2021-32640).
 *
 * @module
 */

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  TCHAR[c] = /[A-Za-z0-9]/.test(ch) || "!#$%&'*+-.^_`|~".includes(ch) ? 1 : 0;
}

/** True if `code` (a char code) may appear in an HTTP token. */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** True if `value` is a non-empty HTTP token. */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * True if `value` may be sent as a header field value: visible ASCII,
 * spaces, tabs and obs-text, but no CR, LF, NUL or other control
 * characters, so it cannot inject a header or end the head early.
 */
export function isValidHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Splits a comma-separated header list into its trimmed elements, dropping
 * empty ones (RFC 9110 §5.6.1 says recipients must accept them). Quoted
 * strings are not special here: callers use this for token lists.
 */
export function splitHeaderList(value: string): string[] {
  const items: string[] = [];
  let start = 0;
  const length = value.length;
  while (start <= length) {
    let end = value.indexOf(',', start);
    if (end < 0) end = length;
    let from = start;
    let to = end;
    while (from < to && isSpace(value.charCodeAt(from))) from++;
    while (to > from && isSpace(value.charCodeAt(to - 1))) to--;
    if (to > from) items.push(value.slice(from, to));
    start = end + 1;
  }
  return items;
}

/**
 * True if the comma-separated list `value` holds `token`, compared without
 * regard to ASCII case (`Connection: keep-alive, Upgrade` holds `upgrade`).
 */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  // The usual value is the token alone ("websocket", "Upgrade"): no list to
  // split when it is its own one element (not empty, no comma, nothing to
  // trim), as the list would find it. Builtins, not a loop over `token`:
  // every accept asks this four times, mostly before V8 has optimized it.
  if (value.length === wanted.length && value.toLowerCase() === wanted && value !== '' && value.trim() === value && !value.includes(',')) return true;
  for (const item of splitHeaderList(value)) {
    if (item.length === wanted.length && item.toLowerCase() === wanted) return true;
  }
  return false;
}
