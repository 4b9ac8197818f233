import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelPathError, resolveModelDir } from "../../server/diffusion/model-paths";
import {
  describeJsonError,
  looksLikeProtobuf,
  ModelLibrary,
  ModelNotFoundError,
  scanModels,
} from "../../server/diffusion/models";

const fixtures = fileURLToPath(new URL("../fixtures/models", import.meta.url));
const size = (...p: string[]) => fs.statSync(path.join(fixtures, ...p)).size;

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-models-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh models dir in tmp holding a copy of the tiny-sd fixture as `name`. */
function copyTinySd(name = "tiny-sd", modelsDir = path.join(tmp, "models")): string {
  const dir = path.join(modelsDir, name);
  fs.cpSync(path.join(fixtures, "tiny-sd"), dir, { recursive: true });
  return dir;
}

describe("scanModels on the fixtures", () => {
  it("lists the usable folders and explains the broken ones", async () => {
    const { models, problems } = await scanModels(fixtures);
    expect(models.map((m) => m.id)).toEqual([
      "tiny-sd",
      "tiny-sd-fp16",
      "tiny-sd-inpaint",
      "tiny-sd-int64",
      "tiny-sdxl",
      "tiny-sdxl-fp16",
      "tiny-sdxl-refiner",
      "tiny-sdxl-turbo",
      "wrong-shapes",
    ]);
    expect(problems).toEqual([
      {
        id: "bad-json",
        dir: path.join(fixtures, "bad-json"),
        reason: "scheduler/scheduler_config.json: Expected double-quoted property name at line 3, column 21",
      },
      {
        id: "broken-onnx",
        dir: path.join(fixtures, "broken-onnx"),
        reason: "unet/model.onnx is not an ONNX model (it starts with bytes 54 68 69 73 20 69 73 20)",
      },
      { id: "missing-unet", dir: path.join(fixtures, "missing-unet"), reason: "unet/model.onnx is missing" },
    ]);
  });

  it("describes tiny-sd from its configs, counting external weights", async () => {
    const { models } = await scanModels(fixtures);
    const m = models.find((x) => x.id === "tiny-sd")!;
    expect(m.dir).toBe(path.join(fixtures, "tiny-sd"));
    expect(m.parts.unet).toEqual({
      file: path.join(fixtures, "tiny-sd/unet/model.onnx"),
      bytes: size("tiny-sd/unet/model.onnx"),
    });
    expect(m.parts.vae_decoder!.bytes).toBe(
      size("tiny-sd/vae_decoder/model.onnx") + size("tiny-sd/vae_decoder/model.onnx_data"),
    );
    expect(m.totalBytes).toBe(Object.values(m.parts).reduce((s, p) => s + p!.bytes, 0));
    expect(m).toMatchObject({
      tokenizer: { dir: path.join(fixtures, "tiny-sd/tokenizer"), format: "vocab+merges" },
      textHiddenSize: 32,
      latentChannels: 4,
      vaeScalingFactor: 0.18215,
      predictionType: "epsilon",
      schedulerClass: "PNDMScheduler",
      previewBias: [0, 0, 0],
      warnings: [],
    });
    expect(m.previewFactors).toHaveLength(4);
    expect(m.previewFactors![0]).toEqual([0.3512, 0.2297, 0.3227]);
    expect(m.schedulerConfig).toMatchObject({ num_train_timesteps: 1000, beta_schedule: "scaled_linear" });
  });

  it("reads the int64 and fp16 variants' differences", async () => {
    const { models } = await scanModels(fixtures);
    const int64 = models.find((x) => x.id === "tiny-sd-int64")!;
    expect(int64).toMatchObject({
      textHiddenSize: null,
      predictionType: "v_prediction",
      schedulerClass: "EulerDiscreteScheduler",
      vaeScalingFactor: 0.13025,
      previewFactors: null,
      previewBias: null,
    });
    expect(int64.parts.vae_decoder!.bytes).toBe(
      size("tiny-sd-int64/vae_decoder/model.onnx") + size("tiny-sd-int64/vae_decoder/weights.pb"),
    );
    const fp16 = models.find((x) => x.id === "tiny-sd-fp16")!;
    expect(fp16.tokenizer.format).toBe("tokenizer.json");
    expect(fp16.predictionType).toBe("epsilon");
    expect(fp16.vaeScalingFactor).toBe(0.18215);
    expect(fp16.warnings).toEqual([
      "vae_decoder/config.json has no scaling_factor; using 0.18215 (the SD 1.x value)",
    ]);
  });
});

describe("scanModels on problem folders", () => {
  it("reports a missing models directory as one problem", async () => {
    const missing = path.join(tmp, "nope");
    expect(await scanModels(missing)).toEqual({
      models: [],
      problems: [{ id: "", dir: missing, reason: `models directory ${missing} does not exist` }],
    });
  });

  it("ignores hidden entries and files, and flags folders that are not models", async () => {
    const models = path.join(tmp, "models");
    fs.mkdirSync(path.join(models, "empty"), { recursive: true });
    fs.mkdirSync(path.join(models, ".cache"));
    fs.writeFileSync(path.join(models, "README.md"), "models go here");
    const scan = await scanModels(models);
    expect(scan.models).toEqual([]);
    expect(scan.problems).toEqual([
      {
        id: "empty",
        dir: path.join(models, "empty"),
        reason:
          "not a Stable Diffusion ONNX folder (no model_index.json, unet/, text_encoder/ or vae_decoder/)",
      },
    ]);
  });

  it("collects every reason: empty onnx, missing tokenizer files, bad config shape", async () => {
    const dir = copyTinySd("bad");
    fs.writeFileSync(path.join(dir, "text_encoder/model.onnx"), "");
    fs.rmSync(path.join(dir, "tokenizer/merges.txt"));
    fs.writeFileSync(
      path.join(dir, "scheduler/scheduler_config.json"),
      JSON.stringify({ prediction_type: "noise" }),
    );
    const { models, problems } = await scanModels(path.join(tmp, "models"));
    expect(models).toEqual([]);
    const reasons = problems[0].reason.split("; ");
    expect(reasons[0]).toBe("text_encoder/model.onnx is empty (0 bytes)");
    expect(reasons[1]).toMatch(/^scheduler\/scheduler_config\.json: prediction_type: /);
    expect(reasons[1]).toContain('"v_prediction"');
    expect(reasons[2]).toBe(
      "tokenizer/merges.txt is missing or empty (and there is no tokenizer/tokenizer.json)",
    );
  });

  it("treats a missing vae_encoder as a warning and bad preview factors as ignored", async () => {
    const dir = copyTinySd();
    fs.rmSync(path.join(dir, "vae_encoder"), { recursive: true });
    const vaeConfig = path.join(dir, "vae_decoder/config.json");
    fs.writeFileSync(vaeConfig, JSON.stringify({ scaling_factor: 0.5, latent_rgb_factors: [[1, 2, 3]] }));
    const { models } = await scanModels(path.join(tmp, "models"));
    expect(models[0].parts.vae_encoder).toBeUndefined();
    expect(models[0].vaeScalingFactor).toBe(0.5);
    expect(models[0].previewFactors).toBeNull();
    expect(models[0].warnings).toEqual([
      "vae_encoder/model.onnx is missing: image-to-image and inpainting are unavailable with this model",
      "vae_decoder/config.json: latent_rgb_factors ignored (expected 4 rows of 3 numbers)",
    ]);
  });

  it("refuses a symlinked model folder that points outside the models directory", async () => {
    const models = path.join(tmp, "models");
    const outside = copyTinySd("elsewhere", path.join(tmp, "outside"));
    copyTinySd("inside", models);
    fs.symlinkSync(outside, path.join(models, "escape"));
    fs.symlinkSync(path.join(models, "inside"), path.join(models, "alias"));
    const scan = await scanModels(models);
    expect(scan.models.map((m) => m.id)).toEqual(["alias", "inside"]);
    expect(scan.problems).toHaveLength(1);
    expect(scan.problems[0].id).toBe("escape");
    expect(scan.problems[0].reason).toContain("outside the models directory");
  });
});

describe("resolveModelDir", () => {
  it.each([
    ["..", /parent or current/],
    [".", /parent or current/],
    ["", /empty/],
    ["a/b", /path separator/],
    ["../etc", /path separator/],
    ["/etc/passwd", /path separator/],
    ["a\\b", /path separator/],
    ["a\0b", /NUL/],
    [".hidden", /hidden/],
    ["C:model", /':'/],
    ["x".repeat(256), /longer than 255/],
  ])("rejects %j", (name, why) => {
    expect(() => resolveModelDir(tmp, name)).toThrow(ModelPathError);
    expect(() => resolveModelDir(tmp, name)).toThrow(why);
  });

  it("accepts a plain folder name, existing or not", () => {
    copyTinySd("sd-1.5_onnx");
    const models = path.join(tmp, "models");
    expect(resolveModelDir(models, "sd-1.5_onnx")).toBe(path.join(models, "sd-1.5_onnx"));
    expect(resolveModelDir(models, "not-yet")).toBe(path.join(models, "not-yet"));
  });

  it("follows symlinks and refuses those that escape", () => {
    const models = path.join(tmp, "models");
    copyTinySd("real", models);
    fs.mkdirSync(path.join(tmp, "secret"));
    fs.symlinkSync(path.join(tmp, "secret"), path.join(models, "escape"));
    fs.symlinkSync(path.join(models, "real"), path.join(models, "alias"));
    fs.symlinkSync(models, path.join(models, "self"));
    expect(resolveModelDir(models, "alias")).toBe(path.join(models, "alias"));
    expect(() => resolveModelDir(models, "escape")).toThrow(/outside the models directory/);
    expect(() => resolveModelDir(models, "self")).toThrow(ModelPathError);
  });
});

describe("ModelLibrary", () => {
  it("caches the scan until refresh()", async () => {
    const lib = new ModelLibrary(fixtures);
    const first = await lib.list();
    expect(await lib.list()).toBe(first);
    expect(await lib.refresh()).not.toBe(first);
  });

  it("gets a model by id", async () => {
    const m = await new ModelLibrary(fixtures).get("tiny-sd");
    expect(m.parts.unet?.file).toBe(path.join(fixtures, "tiny-sd/unet/model.onnx"));
  });

  it("names the id and the available models when there is no such folder", async () => {
    const err = await new ModelLibrary(fixtures).get("sd-xl").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toBe(
      'No model "sd-xl" in the models directory; available: tiny-sd, tiny-sd-fp16, tiny-sd-inpaint, tiny-sd-int64, tiny-sdxl, tiny-sdxl-fp16, tiny-sdxl-refiner, tiny-sdxl-turbo, wrong-shapes',
    );
  });

  it("gives a broken folder's problem as the reason", async () => {
    await expect(new ModelLibrary(fixtures).get("missing-unet")).rejects.toThrow(
      'Model "missing-unet" cannot be used: unet/model.onnx is missing',
    );
  });

  it("refuses ids that are paths", async () => {
    await expect(new ModelLibrary(fixtures).get("../fixtures/models/tiny-sd")).rejects.toThrow(
      ModelPathError,
    );
  });

  it("rescans once when an id appears after the first scan", async () => {
    const models = path.join(tmp, "models");
    fs.mkdirSync(models);
    const lib = new ModelLibrary(models);
    expect((await lib.list()).models).toEqual([]);
    copyTinySd("late", models);
    expect((await lib.get("late")).id).toBe("late");
  });
});

describe("helpers", () => {
  it.each([
    ['{\n  "a": 1,\n  "b" 2}', "Unexpected number at line 3, column 7"],
    ['{\n  "a": 1,\n  "b": }', "Unexpected token '}' at line 3, column 8"],
    ['{\n  "a": [1, 2,\n', "Unexpected end of JSON input at line 3, column 1"],
  ])("locates the JSON error in %j", (text, want) => {
    let err: unknown;
    try {
      JSON.parse(text);
    } catch (e) {
      err = e;
    }
    expect(describeJsonError(text, err)).toBe(want);
  });

  it("recognises the start of a protobuf message", () => {
    expect(looksLikeProtobuf(fs.readFileSync(path.join(fixtures, "tiny-sd/unet/model.onnx")))).toBe(true);
    expect(looksLikeProtobuf(Buffer.from("version https://git-lfs.github.com/spec/v1"))).toBe(false);
    expect(looksLikeProtobuf(Buffer.from("<html>"))).toBe(false);
    expect(looksLikeProtobuf(Buffer.alloc(0))).toBe(false);
  });
});
