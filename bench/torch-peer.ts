/**
 * Peer benchmark — PyTorch eager on the same architecture: the demo model rebuilt in torch from its
 * training code with the weights of its ONNX files (scripts/reference/torch_peer.py; it must agree with
 * onnxruntime's U-Net output within 1e-4, and prints by how much), timed as ComfyUI users run such a
 * model. Per image (text encoder ×2, 25 DDIM steps with CFG, VAE decode) torch ÷ Petalflow's executor
 * on the full graph (PNG written), and per U-Net call (batch 2) torch ÷ onnxruntime. Petalflow's side is
 * measured before and after the torch process, pooled, so drift on a shared machine hits both alike.
 * Skipped, with a message, when Debian's python3-torch (and python3-onnx) is not installed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Tensor } from "../core/node/values";
import { benchModel, benchRuntime, exampleDoc, median, report, spread, timeIt } from "./lib";

const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";

export async function torchPeer(repeats = Math.max(5, Number(process.env.BENCH_REPEATS ?? 8))) {
  const probe = spawnSync(PYTHON, ["-c", "import torch, onnx; print(torch.__version__)"], {
    encoding: "utf8",
  });
  if (probe.status !== 0) {
    report("PyTorch eager peer", [
      {
        name: "skipped",
        value: `no torch + onnx for ${PYTHON} (apt-get install python3-torch python3-onnx; or set BENCH_PYTHON)`,
      },
    ]);
    return null;
  }
  const { modelsDir, model } = benchModel();
  if (model !== "petalflow-shapes") {
    report("PyTorch eager peer", [{ name: "skipped", value: `needs the demo model (have ${model})` }]);
    return null;
  }
  const rt = benchRuntime(modelsDir);
  const doc = exampleDoc("txt2img", model);
  const first = await rt.executor.run(doc, { previews: false });
  if (first.status !== "succeeded") throw new Error(`warm-up run failed: ${first.error?.message}`);
  const unet = await rt.services.session(model, "unet");
  const tok = await rt.services.tokenizer(model);
  const sampler = doc.nodes.find((n) => n.type === "unet-step")!;
  const prompt = String(doc.nodes.find((n) => n.id === "positive")?.params.text ?? "");
  const cond = (first.outputs.get("positive")!.conditioning as { embeds: Tensor }[])[0].embeds;
  const uncond = (first.outputs.get("negative")!.conditioning as { embeds: Tensor }[])[0].embeds;
  const latentDims = (first.outputs.get("sampler")!.latent as { samples: Tensor }).samples.dims;
  const steps = (first.outputs.get("schedule")!.schedule as { timesteps: number[] }).timesteps.length;

  // The check input: a batch of 2 as CFG feeds it, a deterministic pseudo-random sample, t = 500.
  const n = latentDims.reduce((a, b) => a * b, 1) * 2;
  let s = 12345;
  const sample = Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  });
  const context = Tensor.concat([uncond, cond]);
  const feeds = {
    sample: { dims: [2, ...latentDims.slice(1)], data: sample },
    timestep: { dims: [2], data: new Float32Array(2).fill(500) },
    encoder_hidden_states: context,
  };
  const expected = (await unet.run(feeds)).out_sample;
  const dir = mkdtempSync(path.join(tmpdir(), "pf-torch-peer-"));
  const checkFile = path.join(dir, "check.json");
  writeFileSync(
    checkFile,
    JSON.stringify({
      sample: Array.from(sample),
      dims: feeds.sample.dims,
      timestep: 500,
      context: Array.from(context.data),
      contextDims: context.dims,
      expected: Array.from(expected.data),
      ids: [tok.encode(prompt).ids, tok.encode("").ids],
      steps,
      cfg: Number(sampler.params.cfg),
    }),
  );

  const petalflow = async () => {
    const image = await timeIt(
      async () => {
        rt.executor.cache.clear(); // text encoders run too, as in torch's image
        const r = await rt.executor.run(doc, { previews: false });
        if (r.status !== "succeeded") throw new Error(r.error?.message);
      },
      repeats,
      1,
    );
    const call = await timeIt(() => unet.run(feeds), repeats * 5, 2);
    return { image, call };
  };
  const before = await petalflow();
  const py = spawnSync(
    PYTHON,
    ["scripts/reference/torch_peer.py", path.join(modelsDir, model), checkFile, String(repeats)],
    // Passive OpenMP waits: spinning threads make torch ~10× slower on a machine shared with other work.
    {
      encoding: "utf8",
      env: { OMP_WAIT_POLICY: "PASSIVE", ...process.env, OPENBLAS_NUM_THREADS: "1" },
    },
  );
  if (py.status !== 0)
    throw new Error(`torch_peer.py failed: ${py.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const out = JSON.parse(py.stdout.trim().split("\n").at(-1)!) as {
    torch: string;
    maxDiff: number;
    runs: {
      threads: number;
      unetMs: number;
      imageMs: number;
      imageMinMs: number;
      imageMaxMs: number;
      unetMinMs: number;
      unetMaxMs: number;
    }[];
  };
  // Torch's best thread count here (the peer at its best).
  const torch = { ...out, ...out.runs.reduce((a, b) => (b.imageMs < a.imageMs ? b : a)) };
  const others = out.runs
    .filter((r) => r.threads !== torch.threads)
    .map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""}: ${r.imageMs.toFixed(0)} ms`)
    .join(", ");
  const after = await petalflow();
  const image = [...before.image, ...after.image];
  const call = [...before.call, ...after.call];
  const agree = torch.maxDiff <= 1e-4;
  report(
    `PyTorch eager peer (torch ${torch.torch} at its best, ${torch.threads} thread(s); ${model}, ${steps} steps, CFG)`,
    [
      {
        name: "torch U-Net output vs onnxruntime, max |Δ|",
        value: torch.maxDiff.toExponential(2),
        goal: "≤ 1e-4",
        ok: agree,
      },
      {
        name: "per image: torch eager",
        value: `${torch.imageMs.toFixed(1)} ms (min ${torch.imageMinMs.toFixed(1)}, max ${torch.imageMaxMs.toFixed(1)})${others ? `; ${others}` : ""}`,
      },
      { name: "per image: Petalflow executor, full graph", value: spread(image, " ms") },
      {
        name: "  torch ÷ Petalflow, per image",
        value: `${(torch.imageMs / median(image)).toFixed(2)}×`,
        goal: "> 1",
        ok: torch.imageMs > median(image),
      },
      {
        name: "per U-Net call (batch 2): torch / onnxruntime",
        value: `${torch.unetMs.toFixed(2)} ms / ${median(call).toFixed(2)} ms = ${(torch.unetMs / median(call)).toFixed(2)}×`,
      },
    ],
  );
  return {
    maxDiff: torch.maxDiff,
    imageRatio: torch.imageMs / median(image),
    unetRatio: torch.unetMs / median(call),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await torchPeer();
