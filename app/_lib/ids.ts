/** Short random ids for nodes, edges, groups and notes (document ids allow [A-Za-z0-9_.:-]). */
const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

export function newId(prefix: string): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix.slice(0, 24)}-${s}`;
}
