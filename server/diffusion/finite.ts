/**
 * NaN/Inf guards: a non-finite value in a latent or an image silently becomes a black (or noise) picture
 * while the run reports "done". Samplers and decoders check their outputs and fail the node instead.
 */

/** Index of the first NaN or ±Inf in `data`, or −1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** How many of `data` are NaN or ±Inf (for the error message). */
export function countNonFinite(data: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) n++;
  return n;
}
