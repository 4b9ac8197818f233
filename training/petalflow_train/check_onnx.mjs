// Loads the exported folder in onnxruntime-node (the runtime the app uses) and checks:
// the I/O names, dtypes and shapes; outputs against torch (work/export/io_ref.json); dynamic
// batch and spatial sizes; and a full text-to-image run (tokenizer -> text encoder -> 25 DDIM
// steps with CFG 7.5 -> VAE decoder), timed. Usage: node check_onnx.mjs <model dir> <work dir>
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modelDir, workDir] = process.argv.slice(2).map((p) => path.resolve(p));
const require = createRequire(import.meta.url); // resolves the repository's node_modules
const ort = require("onnxruntime-node");
const { Tokenizer } = require("@huggingface/tokenizers");
const readJson = (...p) => JSON.parse(readFileSync(path.join(...p), "utf8"));
const ref = readJson(workDir, "export", "io_ref.json");
const report = { runtime: `onnxruntime-node ${ort.env.versions?.node ?? ""}`.trim(), models: {} };

const sessions = {};
for (const name of ["text_encoder", "unet", "vae_decoder", "vae_encoder"]) {
  const s = await ort.InferenceSession.create(path.join(modelDir, name, "model.onnx"), { intraOpNumThreads: 2 });
  sessions[name] = s;
  const meta = (list) => (list ?? []).map((m) => ({ name: m.name, type: m.type, shape: m.shape }));
  report.models[name] = { inputs: meta(s.inputMetadata), outputs: meta(s.outputMetadata),
    inputNames: s.inputNames, outputNames: s.outputNames };
}

const f32 = (a, dims) => new ort.Tensor("float32", Float32Array.from(a), dims);
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const te = ref.text_encoder;
const ids = new ort.Tensor("int32", Int32Array.from(te.input_ids.flat()), [2, 77]);
let out = await sessions.text_encoder.run({ input_ids: ids });
report.models.text_encoder.maxAbsDiffVsTorch = Math.max(
  maxDiff(out.last_hidden_state.data, te.last_hidden_state), maxDiff(out.pooler_output.data, te.pooler_output));
const ctx = out.last_hidden_state;
out = await sessions.unet.run({ sample: f32(ref.unet.sample, [2, 4, 8, 8]), timestep: f32(ref.unet.timestep, [2]),
  encoder_hidden_states: ctx });
report.models.unet.maxAbsDiffVsTorch = maxDiff(out.out_sample.data, ref.unet.out_sample);
out = await sessions.vae_decoder.run({ latent_sample: f32(ref.vae_decoder.latent_sample, [2, 4, 8, 8]) });
report.models.vae_decoder.maxAbsDiffVsTorch = maxDiff(out.sample.data, ref.vae_decoder.sample);
out = await sessions.vae_encoder.run({ sample: f32(ref.vae_encoder.sample, [2, 3, 64, 64]) });
report.models.vae_encoder.maxAbsDiffVsTorch = maxDiff(out.latent_parameters.data, ref.vae_encoder.latent_parameters);

// Dynamic sizes: batch 3 at 16x16 latents -> 128x128 pixels, and back.
const ctx3 = new ort.Tensor("float32", new Float32Array(3 * 77 * ctx.dims[2]), [3, 77, ctx.dims[2]]);
const big = await sessions.unet.run({ sample: f32(new Float32Array(3 * 4 * 16 * 16), [3, 4, 16, 16]),
  timestep: f32([500, 500, 500], [3]), encoder_hidden_states: ctx3 });
const dec = await sessions.vae_decoder.run({ latent_sample: big.out_sample });
const enc = await sessions.vae_encoder.run({ sample: dec.sample });
report.dynamicShapes = { unet: big.out_sample.dims, vae_decoder: dec.sample.dims, vae_encoder: enc.latent_parameters.dims };

// Full pipeline, as the app's SD path does it.
const tokJson = readJson(modelDir, "tokenizer", "tokenizer.json");
const tokCfg = readJson(modelDir, "tokenizer", "tokenizer_config.json");
const tok = new Tokenizer(tokJson, tokCfg);
const padId = tokJson.model.vocab[tokCfg.pad_token];
const encodeIds = (text) => {
  const e = tok.encode(text).ids.slice(0, 77);
  while (e.length < 77) e.push(padId);
  return e;
};
const sched = readJson(modelDir, "scheduler", "scheduler_config.json");
const scaling = readJson(modelDir, "vae_decoder", "config.json").scaling_factor;
const T = sched.num_train_timesteps;
const ac = [];
let prod = 1;
for (let i = 0; i < T; i++) {
  const b = (Math.sqrt(sched.beta_start) + (i / (T - 1)) * (Math.sqrt(sched.beta_end) - Math.sqrt(sched.beta_start))) ** 2;
  prod *= 1 - b;
  ac.push(prod);
}
async function generate(prompt, noise, steps = 25, cfg = 7.5) {
  const ids2 = new ort.Tensor("int32", Int32Array.from([...encodeIds(""), ...encodeIds(prompt)]), [2, 77]);
  const emb = (await sessions.text_encoder.run({ input_ids: ids2 })).last_hidden_state;
  const ratio = Math.floor(T / steps);
  let x = Float32Array.from(noise);
  const n = x.length;
  for (let i = steps - 1; i >= 0; i--) {
    const t = i * ratio + sched.steps_offset;
    const both = new Float32Array(2 * n);
    both.set(x, 0);
    both.set(x, n);
    const e = (await sessions.unet.run({ sample: f32(both, [2, 4, 8, 8]), timestep: f32([t, t], [2]),
      encoder_hidden_states: emb })).out_sample.data;
    const at = ac[t];
    const ap = t - ratio >= 0 ? ac[t - ratio] : sched.set_alpha_to_one ? 1 : ac[0];
    for (let j = 0; j < n; j++) {
      const eps = e[j] + cfg * (e[n + j] - e[j]);
      const x0 = (x[j] - Math.sqrt(1 - at) * eps) / Math.sqrt(at);
      x[j] = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
    }
  }
  const lat = f32(x.map((v) => v / scaling), [1, 4, 8, 8]);
  return (await sessions.vae_decoder.run({ latent_sample: lat })).sample;
}
const prompt = ref.pipeline.prompt;
const times = [];
let img;
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  img = await generate(prompt, ref.pipeline.noise);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
report.pipeline = { prompt, seed: ref.pipeline.seed, steps: 25, cfg: 7.5, ms_median: times[Math.floor(times.length / 2)],
  ms_min: times[0], image_dims: img.dims, image: Array.from(img.data, (v) => Math.round(v * 1e4) / 1e4),
  tokenIds: encodeIds(prompt).slice(0, 16) };
writeFileSync(path.join(workDir, "export", "ort_check.json"), JSON.stringify(report));
const { image, ...brief } = report.pipeline;
for (const [name, m] of Object.entries(report.models)) {
  const io = (l) => l.map((x) => `${x.name} ${x.type} [${x.shape.join(",")}]`).join("; ");
  console.log(`${name}: in ${io(m.inputs)} -> out ${io(m.outputs)}; max |ort - torch| ${m.maxAbsDiffVsTorch.toExponential(2)}`);
}
console.log(JSON.stringify({ dynamicShapes: report.dynamicShapes, pipeline: brief }));
