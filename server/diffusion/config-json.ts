/**
 * Reading a model folder's JSON configs: a missing file, bad JSON (with line and column) or the wrong
 * shape becomes a ConfigError whose message names the file.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";

/** A config file that is missing, unreadable, not JSON, or not the expected shape. */
export class ConfigError extends Error {}

/**
 * A JSON.parse error as "<what> at line L, column C". V8 gives a position for some errors ("… in
 * JSON at position N") and quotes the text for others ("Unexpected token '}', "…" is not valid
 * JSON"); for those the position is found with a small syntax scan.
 */
export function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^(.*?)(?: in JSON)? at position (\d+)/s.exec(message);
  let what = message;
  let pos: number | null = null;
  if (m) {
    what = m[1];
    pos = Number(m[2]);
  } else {
    what = message.replace(/, (".*"|\S+) is not valid JSON$/s, "");
    pos = jsonErrorOffset(text);
  }
  if (pos === null) return what;
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `${what} at line ${line}, column ${column}`;
}

/** Offset of the first JSON syntax error in `text`, or null when the scan finds none. */
function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return;
        } else fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (!lit) fail();
    i += lit![0].length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail();
    i++;
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (pos) {
    return typeof pos === "number" ? Math.min(pos, text.length) : null;
  }
}

export async function readJson(dir: string, rel: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, rel), "utf8");
  } catch (err) {
    throw new ConfigError(
      `${rel}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "is missing" : ioMessage(err)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${rel}: ${describeJsonError(text, err)}`);
  }
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, rel: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`,
  );
  throw new ConfigError(`${rel}: ${issues.join("; ")}`);
}

/** Reads and validates an optional JSON file: undefined when it does not exist. */
export async function readOptionalConfig<T>(
  dir: string,
  rel: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  if (!(await exists(path.join(dir, rel)))) return undefined;
  return parseWith(schema, await readJson(dir, rel), rel);
}

export function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code} (${e.message})` : String(err);
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
