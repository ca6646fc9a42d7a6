// How a token looks on screen: spaces and line breaks made visible, and bytes that are only
// part of a UTF-8 character written as <0xE2> rather than as a replacement character.

/** Characters drawn in place of invisible ones: " robots" shows as "␣robots". */
const VISIBLE: ReadonlyMap<string, string> = new Map([
  [' ', '\u2423'], // ␣
  ['\n', '\u21b5'], // ↵
  ['\t', '\u21e5'], // ⇥
]);

const byteText = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** One character for display: visible stand-ins for blanks, bytes for other control characters. */
function displayCharacter(ch: string): string {
  const stand = VISIBLE.get(ch);
  if (stand !== undefined) return stand;
  // Control characters (C0, DEL, C1 such as U+0085) would be invisible or break the layout.
  if (/^\p{Cc}$/u.test(ch)) return Array.from(new TextEncoder().encode(ch), byteText).join('');
  return ch;
}

/** Length of the UTF-8 sequence starting at bytes[i], or 0 when no complete, valid one starts there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  let n: number;
  let min: number; // smallest code point this length may encode (shorter forms are invalid)
  if (b0 >= 0xc2 && b0 <= 0xdf) [n, min] = [2, 0x80];
  else if (b0 >= 0xe0 && b0 <= 0xef) [n, min] = [3, 0x800];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [n, min] = [4, 0x10000];
  else return 0;
  if (i + n > bytes.length) return 0;
  let cp = b0 & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/** A token's bytes for display: complete characters as text, stray bytes as <0xNN>. */
export function displayBytes(bytes: Uint8Array): string {
  const decoder = new TextDecoder('utf-8');
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += byteText(bytes[i]);
      i += 1;
    } else {
      out += displayCharacter(decoder.decode(bytes.subarray(i, i + n)));
      i += n;
    }
  }
  return out;
}

/** A string for display, character by character (for tokenizers whose tokens are characters). */
export function displayText(text: string): string {
  return Array.from(text, displayCharacter).join('');
}
