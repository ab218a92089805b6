// Percent-decoding and RFC 3986 encoding, written out rather than borrowed from
// URLSearchParams/querystring because the host's rules differ from both: a malformed
// escape stays literal, invalid UTF-8 becomes U+FFFD (as Java's decoder does), and
// `*`, `'`, `(`, `)`, `!` are always escaped.

const PLUS = /\+/g;
const SUB_DELIMS = /[!'()*]/g;
const utf8 = new TextDecoder('utf-8', { fatal: false });

// Per ASCII code: '' for an unreserved character (kept), else its `%XX` escape. Built once, so
// encoding the usual all-ASCII parameter needs no regex and no encodeURIComponent call.
const ASCII_ESCAPES: readonly string[] = Array.from({ length: 128 }, (_, code) =>
  /[A-Za-z0-9\-._~]/.test(String.fromCharCode(code)) ? '' : `%${code.toString(16).toUpperCase().padStart(2, '0')}`,
);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/** Decode a query component: `+` is a space, `%XX` is a UTF-8 byte, a malformed escape stays literal. */
export function decodeQueryComponent(raw: string): string {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  const spaced = raw.replace(PLUS, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return decodeLeniently(spaced);
  }
}

function decodeLeniently(input: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += utf8.decode(Uint8Array.from(bytes));
      bytes = [];
    }
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input.charCodeAt(i);
    if (ch === 37 /* % */ && i + 2 < input.length) {
      const hi = hexValue(input.charCodeAt(i + 1));
      const lo = hexValue(input.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    flush();
    out += input[i];
  }
  flush();
  return out;
}

/** RFC 3986 percent-encoding: only `A-Z a-z 0-9 - . _ ~` stay as they are; hex is upper-case. */
export function encodeRfc3986(value: string): string {
  let out = '';
  // Start of the run of kept characters not yet copied to `out`: copied as one slice, not char by char.
  let kept = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128) return out + value.slice(kept, i) + encodeNonAscii(value.slice(i));
    const escaped = ASCII_ESCAPES[code] as string;
    if (escaped !== '') {
      out += value.slice(kept, i) + escaped;
      kept = i + 1;
    }
  }
  return kept === 0 ? value : out + value.slice(kept);
}

function encodeNonAscii(value: string): string {
  return encodeURIComponent(value.toWellFormed()).replace(SUB_DELIMS, escapeSubDelim);
}

function escapeSubDelim(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}
