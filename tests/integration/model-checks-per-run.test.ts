/**
 * A model's folder is checked (resolveModelDir: realpath of it and of the models directory, a readlink
 * system call per path component) once per run, not at each of the run's ≈ 7 lookups of the model;
 * every run checks afresh, so a link swapped to point outside between runs is refused at the next run;
 * lookups while no run is in progress check every time, as before.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ModelPathError } from "../../server/diffusion/model-paths";
import { ModelLibrary } from "../../server/diffusion/models";
import { txt2img } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

const FIXTURES = path.resolve("tests/fixtures/models");

afterEach(() => vi.restoreAllMocks());

describe("model folder checks", () => {
  it("a run checks its model's folder once (two realpaths), not at every lookup", async () => {
    const rt = cpuRuntime(FIXTURES);
    const first = await rt.executor.run(txt2img({ seed: 1 }), { previews: false });
    expect(first.status).toBe("succeeded");
    rt.executor.cache.clear(); // every node looks the model up again
    const realpath = vi.spyOn(fs.realpathSync, "native");
    const again = await rt.executor.run(txt2img({ seed: 2 }), { previews: false });
    expect(again.status).toBe("succeeded");
    // The model folder and the models directory, once; 14 before (7 lookups × 2).
    expect(realpath.mock.calls.map((c) => path.basename(String(c[0]))).sort()).toEqual(["models", "tiny-sd"]);
    // Outside a run, each lookup checks.
    realpath.mockClear();
    await rt.services.models.get("tiny-sd");
    await rt.services.models.get("tiny-sd");
    expect(realpath).toHaveBeenCalledTimes(4);
  }, 120_000);

  it("a link swapped to point outside between runs is refused at the next run", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pf-model-checks-"));
    const models = path.join(tmp, "models");
    fs.mkdirSync(path.join(models, "real"), { recursive: true });
    fs.mkdirSync(path.join(tmp, "secret"));
    fs.symlinkSync(path.join(models, "real"), path.join(models, "m"));
    const lib = new ModelLibrary(models);
    const lookUp = () =>
      lib.get("m").then(
        () => "found",
        (e: Error) => (e instanceof ModelPathError ? "refused" : "not a model"),
      );
    lib.runStarted();
    expect(await lookUp()).toBe("not a model"); // inside: passes the check (an empty folder is no model)
    lib.runEnded();
    fs.rmSync(path.join(models, "m"));
    fs.symlinkSync(path.join(tmp, "secret"), path.join(models, "m"));
    lib.runStarted();
    expect(await lookUp()).toBe("refused");
    lib.runEnded();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
