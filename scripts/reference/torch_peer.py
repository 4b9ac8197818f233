"""The PyTorch eager peer of `npm run bench`: the demo model rebuilt from its own training code
(training/petalflow_train/models.py) with the weights read out of its ONNX files, checked against
onnxruntime's U-Net output (given by the bench), then timed as ComfyUI users run such a model: eager
torch, no_grad, float32 on the CPU.

  /usr/bin/python3 scripts/reference/torch_peer.py MODEL_DIR CHECK.json [REPEATS]

CHECK.json: {"sample": [...], "dims": [B,4,h,w], "timestep": t, "context": [...], "contextDims": [...],
"expected": [...], "ids": [[77 ids], [77 ids]], "steps": 25, "cfg": 7.5}. Prints one JSON line:
the largest |torch − onnxruntime| of that U-Net output, and per thread count the medians of a U-Net
call and of a whole image (text encoder ×2, `steps` DDIM steps with classifier-free guidance, VAE decode).

Weights: the exporter folded some parameters into unnamed initializers (GroupNorm's affine as the
Mul/Add after InstanceNormalization, 3-D Linear weights transposed into MatMul). Both follow the
order in which the modules run, so they are matched to the modules in that order (shapes checked).
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "training"))
from petalflow_train.models import VAE, TextEncoder, UNet  # noqa: E402


def initializers(path):
    m = onnx.load(path)
    values = {}
    for init in m.graph.initializer:
        name = init.name[: -len("_fp16")] if init.name.endswith("_fp16") else init.name
        values[name] = numpy_helper.to_array(init).astype(np.float32)
    return m.graph, values


def module_order(model, run):
    """GroupNorm and Linear modules in the order the forward pass calls them (first call each)."""
    order = []
    hooks = [
        mod.register_forward_hook(lambda mod, _i, _o: order.append(mod) if mod not in order else None)
        for mod in model.modules()
        if isinstance(mod, (torch.nn.GroupNorm, torch.nn.Linear))
    ]
    with torch.no_grad():
        run()
    for h in hooks:
        h.remove()
    return order


def load(model, path, prefix, run):
    graph, values = initializers(path)
    state = model.state_dict()
    names = {id(p): n for n, p in model.named_parameters()}
    loaded = {}
    for key in state:
        if prefix + key in values:
            loaded[key] = torch.from_numpy(values[prefix + key])
    # Folded ones, in graph order: the Mul/Add after each InstanceNormalization, MatMul initializers.
    folded_gn, folded_mm = [], []
    consumers = {}
    for node in graph.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)
    for node in graph.node:
        if node.op_type == "InstanceNormalization":
            nxt = consumers[node.output[0]][0]  # Reshape back to [B,C,H,W]
            mul = consumers[nxt.output[0]][0]
            add = consumers[mul.output[0]][0]
            w = next(i for i in mul.input if i in values)
            b = next(i for i in add.input if i in values)
            folded_gn.append((values[w], values[b]))
        elif node.op_type == "MatMul":
            w = [i for i in node.input if i.startswith("onnx::") and i in values]
            if w:
                folded_mm.append(values[w[0]])
    gn_i = mm_i = 0
    for mod in module_order(model, run):
        wname = names[id(mod.weight)]
        if isinstance(mod, torch.nn.GroupNorm):
            w, b = folded_gn[gn_i]
            gn_i += 1
            loaded[wname] = torch.from_numpy(w.reshape(-1))
            loaded[names[id(mod.bias)]] = torch.from_numpy(b.reshape(-1))
        elif wname not in loaded:
            loaded[wname] = torch.from_numpy(folded_mm[mm_i].T.copy())
            mm_i += 1
    missing = [k for k in state if k not in loaded and k in dict(model.named_parameters())]
    if missing or gn_i != len(folded_gn) or mm_i != len(folded_mm):
        raise SystemExit(f"{path}: cannot place {missing[:5]} ({gn_i}/{len(folded_gn)} GN, {mm_i}/{len(folded_mm)} MatMul)")
    for k, v in loaded.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise SystemExit(f"{path}: {k} has shape {tuple(v.shape)} in ONNX, {tuple(state[k].shape)} in the model")
    model.load_state_dict(loaded, strict=False)
    return model.eval()


def alphas_cumprod():
    betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def main():
    model_dir, check_path = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    check = json.load(open(check_path))
    with open(os.path.join(model_dir, "vae_decoder", "config.json")) as f:
        scaling = json.load(f).get("scaling_factor", 0.18215)

    sample = torch.tensor(check["sample"], dtype=torch.float32).reshape(check["dims"])
    ctx = torch.tensor(check["context"], dtype=torch.float32).reshape(check["contextDims"])
    t = torch.full((sample.shape[0],), float(check["timestep"]))
    ids = torch.tensor(check["ids"], dtype=torch.int32)
    te, unet, decoder = TextEncoder(628, 627), UNet(), VAE().decoder
    latent = torch.zeros(1, 4, sample.shape[2], sample.shape[3])
    load(te, os.path.join(model_dir, "text_encoder", "model.onnx"), "", lambda: te(ids[:1]))
    load(unet, os.path.join(model_dir, "unet", "model.onnx"), "", lambda: unet(sample, t, ctx))
    load(decoder, os.path.join(model_dir, "vae_decoder", "model.onnx"), "decoder.", lambda: decoder(latent))

    with torch.no_grad():
        out = unet(sample, t, ctx)
    expected = torch.tensor(check["expected"], dtype=torch.float32).reshape(out.shape)
    max_diff = float((out - expected).abs().max())

    steps, cfg = int(check["steps"]), float(check["cfg"])
    ac = alphas_cumprod()
    ratio = 1000 // steps
    timesteps = [i * ratio + 1 for i in reversed(range(steps))]  # "leading" spacing, steps_offset 1

    def image():
        with torch.no_grad():
            cond = torch.cat([te(ids[1:2])[0], te(ids[0:1])[0]])  # [uncond; cond]
            x = torch.randn(1, 4, sample.shape[2], sample.shape[3])
            for i, ts in enumerate(timesteps):
                eps_u, eps_c = unet(torch.cat([x, x]), torch.full((2,), float(ts)), cond).chunk(2)
                eps = eps_u + cfg * (eps_c - eps_u)
                a = ac[ts].float()
                prev = ac[timesteps[i + 1]].float() if i + 1 < steps else ac[0].float()
                x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
                x = prev.sqrt() * x0 + (1 - prev).sqrt() * eps
            return decoder(x / scaling).clamp(-1, 1)

    def unet_call():
        with torch.no_grad():
            unet(sample, t, ctx)

    def timed(fn, n):
        for _ in range(2):
            fn()
        xs = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            xs.append((time.perf_counter() - t0) * 1000)
        return xs

    # Each thread count asked for (PF_THREADS, e.g. "1,2"; default: 1 and all cores): the bench takes
    # torch's best, so the peer is not judged by a setting that this loaded machine punishes.
    results = []
    counts = os.environ.get("PF_THREADS") or ",".join(sorted({"1", str(os.cpu_count() or 1)}))
    for threads in [int(x) for x in counts.split(",")]:
        torch.set_num_threads(threads)
        unet_ms = timed(unet_call, repeats * 5)
        image_ms = timed(image, repeats)
        results.append({
            "threads": threads,
            "unetMs": statistics.median(unet_ms),
            "unetMinMs": min(unet_ms),
            "unetMaxMs": max(unet_ms),
            "imageMs": statistics.median(image_ms),
            "imageMinMs": min(image_ms),
            "imageMaxMs": max(image_ms),
        })
    print(json.dumps({"torch": torch.__version__, "maxDiff": max_diff, "runs": results}))


if __name__ == "__main__":
    main()
