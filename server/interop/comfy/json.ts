/**
 * ComfyUI files and API bodies carry seeds up to 2^64 − 1 as plain JSON numbers (Python writes them
 * exactly). JSON.parse rounds one above 2^53 to a different seed, which the importer could only
 * replace. This parse turns every integer literal outside strings that is not a safe integer into its
 * decimal string, which the importer reads as the exact seed.
 */

/** The JSON text with each unsafe integer literal (outside strings) quoted. */
export function quoteUnsafeIntegers(text: string): string {
  let out = "";
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string, escapes included.
      i++;
      while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
      i++;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45 /* - */) {
      let j = i + 1;
      while (j < n && /[0-9.eE+-]/.test(text[j])) j++;
      const token = text.slice(i, j);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, i)}"${token}"`;
        last = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** JSON.parse that keeps integers above 2^53 exact (as decimal strings). */
export function parseComfyJson(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}
