/**
 * A JPEG's marker structure, walked without decoding: how many scans (SOS) and segments it has. A
 * progressive JPEG may legally hold a few hundred scans; each one makes a decoder pass over every
 * block of the image, so 50 000 tiny scans in under a megabyte cost a decoder minutes of CPU. Bounding
 * them before decoding refuses such files in microseconds.
 */

/**
 * Well above what encoders write (libjpeg's default progressive script has 10 scans, mozjpeg's
 * optimised ones a few dozen), low enough that the worst case costs a decoder about a second on a
 * 4-megapixel image.
 */
export const MAX_JPEG_SCANS = 256;
export const MAX_JPEG_SEGMENTS = 5000;

export interface JpegMarkers {
  scans: number;
  segments: number;
}

/** Counts SOS markers and segments; stops counting (returns early) past the limits. */
export function countJpegMarkers(
  bytes: Uint8Array,
  limits = { scans: MAX_JPEG_SCANS, segments: MAX_JPEG_SEGMENTS },
): JpegMarkers {
  let scans = 0;
  let segments = 0;
  let i = 2; // after SOI
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2; // stuffed byte, restart marker, TEM: no length
      continue;
    }
    segments++;
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker === 0xda) {
      scans++;
      if (scans > limits.scans) break;
      // Entropy-coded data follows the header up to the next real marker.
      i += 2 + length;
      while (
        i + 1 < bytes.length &&
        !(bytes[i] === 0xff && bytes[i + 1] !== 0x00 && (bytes[i + 1] < 0xd0 || bytes[i + 1] > 0xd7))
      )
        i++;
      continue;
    }
    if (segments > limits.segments) break;
    i += 2 + length;
  }
  return { scans, segments };
}
