import fs from "node:fs";
import path from "node:path";

/** A model name that would leave the models directory, or that is not a plain folder name. */
export class ModelPathError extends Error {
  override readonly name = "ModelPathError";
  constructor(
    readonly modelName: string,
    reason: string,
  ) {
    super(`Invalid model name ${JSON.stringify(modelName)}: ${reason}`);
  }
}

const MAX_NAME_LENGTH = 255;

/**
 * Resolves a model name to its folder inside `modelsDir`, refusing anything that could reach
 * outside it.
 *
 * Policy: a model name is exactly ONE folder name directly under the models directory (the id
 * that `scanModels` reports). Nested names such as `org/name` are refused: the scanner does not
 * look below the first level, so such a name could never be a valid id, and refusing every
 * separator keeps the check simple. Also refused: empty names, `.` / `..` and any other name
 * starting with a dot (hidden folders are skipped by the scanner too), `/`, `\`, `:` (Windows
 * drive prefixes), NUL and other control characters, and names longer than 255 characters.
 *
 * When the folder exists its real path (all symlinks resolved) must still lie inside the real
 * models directory, so a symlink that points elsewhere is refused. A name whose folder does not
 * exist passes (it cannot escape: it is a single plain segment); callers report "not found".
 *
 * @returns the absolute path `modelsDir/name` (not symlink-resolved).
 * @throws ModelPathError with a message saying which rule the name broke.
 */
export function resolveModelDir(modelsDir: string, name: string): string {
  if (typeof name !== "string" || name.length === 0) throw new ModelPathError(String(name), "it is empty");
  if (name.length > MAX_NAME_LENGTH) {
    throw new ModelPathError(name, `it is longer than ${MAX_NAME_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new ModelPathError(name, "it contains NUL or another control character");
  }
  if (name === "." || name === "..") throw new ModelPathError(name, "it names a parent or current folder");
  if (/[/\\]/.test(name)) {
    throw new ModelPathError(name, "it contains a path separator; a model name is a single folder name");
  }
  if (name.includes(":")) throw new ModelPathError(name, "it contains ':'");
  if (name.startsWith("."))
    throw new ModelPathError(name, "names starting with '.' (hidden folders) are not models");
  if (path.isAbsolute(name)) throw new ModelPathError(name, "it is an absolute path");

  const base = path.resolve(modelsDir);
  const target = path.join(base, name);

  // Every session lookup comes here: realpath(3) resolves each path in one system call (Node's JS
  // realpathSync walks and lstats every component). Both are read on every lookup, not cached, so a
  // link swapped to point outside, at any depth or the models directory itself, is judged afresh.
  let realTarget: string;
  try {
    realTarget = fs.realpathSync.native(target);
  } catch {
    return target; // does not exist (yet): a single plain segment cannot escape
  }
  let realBase: string;
  try {
    realBase = fs.realpathSync.native(base);
  } catch {
    realBase = base;
  }
  if (realTarget === realBase || !isInside(realBase, realTarget)) {
    throw new ModelPathError(name, `it resolves to ${realTarget}, outside the models directory ${realBase}`);
  }
  return target;
}

/** True when `child` is `parent` itself or lies below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  if (rel === "") return true;
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
