/** Index just past the JSON string that starts at `start` (a `"`). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Index of the next character that is neither whitespace nor inside a comment. */
function skipSpaceAndComments(text: string, start: number): number {
  let i = start;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      return i;
    }
  }
}

/**
 * Parses JSON that may hold `//` and `/* *\/` comments and trailing commas: the parts of JSON5
 * that descriptor templates use (ACE reads its descriptor with JSON5). Strings are kept whole, so
 * the `//` of a URL inside quotes is not a comment.
 */
export function parseJsonWithComments(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      i = skipSpaceAndComments(text, i);
      out += ' ';
    } else if (char === ',' && '}]'.includes(text[skipSpaceAndComments(text, i + 1)] ?? 'x')) {
      // JSON5's trailing comma: dropped, the closing bracket follows.
      i++;
    } else {
      out += char;
      i++;
    }
  }
  return JSON.parse(out);
}
