/**
 * resolveModelDir on the session-lookup path: one realpath(3) system call per path (not Node's JS
 * walk over every component), and links swapped between lookups are judged afresh.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ModelPathError, resolveModelDir } from "../../server/diffusion/model-paths";

let tmp: string;
let models: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-model-paths-"));
  models = path.join(tmp, "models");
  fs.mkdirSync(path.join(models, "real"), { recursive: true });
  fs.mkdirSync(path.join(tmp, "outside"));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("resolveModelDir, repeated lookups", () => {
  it("a lookup resolves the target and the models directory with one system call each", () => {
    const native = vi.spyOn(fs.realpathSync, "native");
    const js = vi.spyOn(fs, "realpathSync");
    expect(resolveModelDir(models, "real")).toBe(path.join(models, "real"));
    expect(native.mock.calls.map((c) => c[0])).toEqual([path.join(models, "real"), models]);
    expect(js).not.toHaveBeenCalled();
  });

  it("a link swapped to point outside after a lookup is refused on the next lookup", () => {
    fs.symlinkSync(path.join(models, "real"), path.join(models, "alias"));
    expect(resolveModelDir(models, "alias")).toBe(path.join(models, "alias"));
    fs.unlinkSync(path.join(models, "alias"));
    fs.symlinkSync(path.join(tmp, "outside"), path.join(models, "alias"));
    expect(() => resolveModelDir(models, "alias")).toThrow(/outside the models directory/);
  });

  it("a folder inside swapped for a link outside (one level down a link) is refused too", () => {
    fs.mkdirSync(path.join(models, "target"));
    fs.symlinkSync(path.join(models, "target"), path.join(models, "alias"));
    expect(resolveModelDir(models, "alias")).toBe(path.join(models, "alias"));
    fs.rmdirSync(path.join(models, "target"));
    fs.symlinkSync(path.join(tmp, "outside"), path.join(models, "target"));
    expect(() => resolveModelDir(models, "alias")).toThrow(ModelPathError);
  });

  it("a models directory that is a link, moved to another folder, still accepts that folder's models", () => {
    const a = path.join(tmp, "a");
    const b = path.join(tmp, "b");
    fs.mkdirSync(path.join(a, "m"), { recursive: true });
    fs.mkdirSync(path.join(b, "m"), { recursive: true });
    const link = path.join(tmp, "models-link");
    fs.symlinkSync(a, link);
    expect(resolveModelDir(link, "m")).toBe(path.join(link, "m"));
    fs.unlinkSync(link);
    fs.symlinkSync(b, link);
    expect(resolveModelDir(link, "m")).toBe(path.join(link, "m"));
    // …and a link in it to the old folder is now outside, even with no lookup in between.
    fs.unlinkSync(link);
    fs.symlinkSync(a, link);
    expect(resolveModelDir(link, "m")).toBe(path.join(link, "m"));
    fs.unlinkSync(link);
    fs.symlinkSync(b, link);
    fs.symlinkSync(path.join(a, "m"), path.join(b, "old"));
    expect(() => resolveModelDir(link, "old")).toThrow(/outside the models directory/);
  });
});
