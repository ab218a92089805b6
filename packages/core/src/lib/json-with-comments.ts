/** Index just past the JSON string that starts at `start` (a `"`). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function withoutComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

function withoutTrailingCommas(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (text[i] === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 200))) {
      i++;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

/**
 * Parses JSON that may hold `//` and `/* *\/` comments and trailing commas: the parts of JSON5
 * that descriptor templates use (ACE reads its descriptor with JSON5). Strings are kept whole, so
 * the `//` of a URL inside quotes is not a comment.
 */
export function parseJsonWithComments(text: string): unknown {
  return JSON.parse(withoutTrailingCommas(withoutComments(text)));
}
