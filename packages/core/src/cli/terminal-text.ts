// What a terminal may act on rather than print: C0 controls (ESC starts colour, title and
// clipboard sequences; BEL, CR and BS hide text), DEL, the C1 controls (U+009B is a one-byte CSI),
// the Unicode line separators and the bidirectional overrides that make text read otherwise.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const UNSAFE_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One value for one line of output (a claim, an issuer): every control character escaped as `\uXXXX`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Output text of several lines: the same, but `\n` and tab kept (JSON stays valid JSON). */
export function escapeControlsKeepingLines(text: string): string {
  return text.replace(UNSAFE_BUT_LINE_BREAKS, escapeOne);
}
