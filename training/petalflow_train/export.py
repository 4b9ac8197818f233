"""Stage 4: export the newest checkpoints as an ONNX Stable Diffusion folder (Optimum layout).

Works at any time from whatever checkpoints exist (EMA weights of the text encoder and
U-Net), so a usable model can be produced while training is still running. The exact
weights exported are also saved to work/export/weights.pt for the evaluation stage.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .data import make_caption, sample_meta
from .common import MODEL_DIR, SCHEDULE, load_json, log, save_json, setup_threads, work_path
from .models import MAX_LEN, TEXT_DIM, VAE, VAEDecoderExport, VAEEncoderExport, n_params
from .tokenizer import Tokenizer
from .train_unet import build_models

OPSET = 17
SIZE_LIMIT = 24_500_000  # bytes; the folder must stay under 25 MB with its small files
DIFFUSERS_VERSION = "0.21.0"
PIPELINE_PROMPT = "a red circle on a blue background"


def load_weights():
    tok = Tokenizer.build()
    vae_ck = torch.load(work_path("vae", "ckpt.pt"))
    vae_stats = load_json(work_path("vae", "stats.json"))
    if vae_stats is None:
        raise SystemExit("export: the VAE stage has not finished yet (no work/vae/stats.json)")
    vae = VAE()
    vae.load_state_dict(vae_ck["model"])
    te, unet = build_models(tok)
    if not os.path.exists(work_path("unet", "ckpt.pt")):
        raise SystemExit("export: no U-Net checkpoint yet (work/unet/ckpt.pt); the first one is written ~3 min into that stage")
    ck = torch.load(work_path("unet", "ckpt.pt"))
    te.load_state_dict(ck["ema_te"])
    unet.load_state_dict(ck["ema_unet"])
    for m in (vae, te, unet):
        m.eval()
    info = dict(unet_step=ck["state"]["step"], unet_seconds=ck["state"]["seconds"],
                unet_history=ck["state"]["history"], vae_steps=vae_stats["steps"])
    return tok, vae, te, unet, vae_stats, info


# Output dims the exporter leaves symbolic although they are fixed.
STATIC_DIMS = {"pooler_output": {1: TEXT_DIM}, "latent_parameters": {1: 8}}


def _export(model, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(model, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    for out in m.graph.output:
        for axis, size in STATIC_DIMS.get(out.name, {}).items():
            out.type.tensor_type.shape.dim[axis].dim_value = size
    onnx.checker.check_model(m)
    onnx.save(m, path)


def weights_to_fp16(path):
    """Store float initializers as fp16 and Cast them back at run time: half the bytes, fp32 I/O."""
    m = onnx.load(path)
    g = m.graph
    casts = []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or np.prod(init.dims) < 64:
            continue
        arr = numpy_helper.to_array(init).astype(np.float16)
        name = init.name
        g.initializer.remove(init)
        g.initializer.append(numpy_helper.from_array(arr, name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT))
    for node in reversed(casts):
        g.node.insert(0, node)
    onnx.save(m, path)


def export_all(out_dir, tok, vae, te, unet, vae_stats, info):
    batch = {0: "batch_size"}
    with torch.no_grad():
        ids = torch.tensor([tok.encode_padded("a red circle on a blue background"), tok.encode_padded("")],
                           dtype=torch.int32)
        _export(te, (ids,), f"{out_dir}/text_encoder/model.onnx", ["input_ids"],
                ["last_hidden_state", "pooler_output"],
                {"input_ids": {0: "batch_size", 1: "sequence_length"},
                 "last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": batch})
        ctx, _ = te(ids)
        sample = torch.randn(2, 4, 8, 8)
        ts = torch.tensor([999.0, 1.0])
        spatial = {0: "batch_size", 2: "height", 3: "width"}
        _export(unet, (sample, ts, ctx), f"{out_dir}/unet/model.onnx",
                ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": spatial, "timestep": batch, "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
                 "out_sample": spatial})
        img = torch.rand(2, 3, 64, 64) * 2 - 1
        _export(VAEEncoderExport(vae), (img,), f"{out_dir}/vae_encoder/model.onnx", ["sample"], ["latent_parameters"],
                {"sample": spatial, "latent_parameters": spatial})
        _export(VAEDecoderExport(vae), (sample,), f"{out_dir}/vae_decoder/model.onnx", ["latent_sample"], ["sample"],
                {"latent_sample": spatial, "sample": spatial})
        # Reference inputs/outputs so check_onnx.mjs can compare onnxruntime with torch.
        h, p = te(ids)
        ref = dict(
            text_encoder=dict(input_ids=ids.tolist(), last_hidden_state=h.flatten().tolist(), pooler_output=p.flatten().tolist()),
            unet=dict(sample=sample.flatten().tolist(), timestep=ts.tolist(), out_sample=unet(sample, ts, ctx).flatten().tolist()),
            vae_decoder=dict(latent_sample=sample.flatten().tolist(), sample=VAEDecoderExport(vae)(sample).flatten().tolist()),
            vae_encoder=dict(sample=img.flatten().tolist(), latent_parameters=VAEEncoderExport(vae)(img).flatten().tolist()),
            # Starting noise made like diffusers/ComfyUI: torch.manual_seed(seed); torch.randn(shape).
            pipeline=dict(prompt=PIPELINE_PROMPT, seed=0, noise=torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(0)).flatten().tolist()),
        )
    with open(work_path("export", "io_ref.json"), "w") as f:
        json.dump(ref, f)
    # Captions (and some odd text) with the ids the trainer used, for check_tokenizer.mjs.
    rng = np.random.default_rng(0)
    texts = [make_caption(sample_meta(rng), rng) for _ in range(2000)]
    texts += ["", "A RED circle,  on a Blue background!", "a dog 123", "café crème", "it's top-left"]
    with open(work_path("export", "tokenizer_cases.json"), "w") as f:
        json.dump([dict(text=t, ids=tok.encode(t)) for t in texts], f)

    fp16 = []
    sizes = lambda: {k: os.path.getsize(f"{out_dir}/{k}/model.onnx") for k in ("unet", "vae_decoder", "vae_encoder", "text_encoder")}
    for k in sizes():  # largest first, only as far as needed
        if sum(sizes().values()) <= SIZE_LIMIT:
            break
        weights_to_fp16(f"{out_dir}/{k}/model.onnx")
        fp16.append(k)
    weight_dtype = lambda k: "float16 (stored; Cast to float32 in-graph, I/O stays float32)" if k in fp16 else "float32"

    tok.save(f"{out_dir}/tokenizer")
    save_json(f"{out_dir}/model_index.json", {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": DIFFUSERS_VERSION,
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"]})
    save_json(f"{out_dir}/scheduler/scheduler_config.json", {
        "_class_name": "DDIMScheduler", "_diffusers_version": DIFFUSERS_VERSION,
        "num_train_timesteps": SCHEDULE["num_train_timesteps"], "beta_start": SCHEDULE["beta_start"],
        "beta_end": SCHEDULE["beta_end"], "beta_schedule": SCHEDULE["beta_schedule"], "trained_betas": None,
        "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1, "set_alpha_to_one": False,
        "clip_sample": False, "thresholding": False, "rescale_betas_zero_snr": False})
    save_json(f"{out_dir}/text_encoder/config.json", {
        "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "hidden_size": TEXT_DIM,
        "intermediate_size": 4 * TEXT_DIM, "num_hidden_layers": len(te.layers), "num_attention_heads": 4,
        "max_position_embeddings": MAX_LEN, "vocab_size": len(tok.vocab), "hidden_act": "gelu",
        "layer_norm_eps": 1e-5, "bos_token_id": tok.bos_id, "eos_token_id": tok.eos_id, "pad_token_id": tok.eos_id,
        "projection_dim": TEXT_DIM, "torch_dtype": "float32", "weights_dtype": weight_dtype("text_encoder"),
        "num_parameters": n_params(te)})
    save_json(f"{out_dir}/unet/config.json", {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": DIFFUSERS_VERSION, "in_channels": 4,
        "out_channels": 4, "sample_size": 8, "cross_attention_dim": TEXT_DIM, "block_out_channels": [64, 128],
        "layers_per_block": 1, "attention_head_dim": [16, 32], "num_attention_heads": 4,
        "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "mid_block_type": "UNetMidBlock2DCrossAttn", "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        "flip_sin_to_cos": True, "freq_shift": 0, "norm_num_groups": 32, "act_fn": "silu",
        "timestep_input": "float32 [batch]", "weights_dtype": weight_dtype("unet"), "num_parameters": n_params(unet),
        "trained_steps": info["unet_step"]})
    vae_common = {
        "_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION, "in_channels": 3, "out_channels": 3,
        "latent_channels": 4, "sample_size": 64, "down_factor": 8, "block_out_channels": [24, 48, 96, 128],
        "layers_per_block": 1, "act_fn": "silu", "scaling_factor": vae_stats["scaling_factor"],
        "scaling_factor_source": "1/std of the training set's sampled latents (not SD's 0.18215)"}
    save_json(f"{out_dir}/vae_encoder/config.json", dict(vae_common, weights_dtype=weight_dtype("vae_encoder"),
                                                         num_parameters=n_params(vae.encoder)))
    save_json(f"{out_dir}/vae_decoder/config.json", dict(
        vae_common, weights_dtype=weight_dtype("vae_decoder"), num_parameters=n_params(vae.decoder),
        latent_rgb_factors=[[round(v, 6) for v in row] for row in vae_stats["latent_rgb_factors"]],
        latent_rgb_bias=[round(v, 6) for v in vae_stats["latent_rgb_bias"]],
        latent_rgb_note=("preview RGB in [-1,1] = scaled_latent(4) @ latent_rgb_factors(4x3) + latent_rgb_bias; "
                         f"least-squares fit to 8x8-averaged training images, R^2 {vae_stats['preview_r2']:.3f}")))
    return fp16, len(tok.vocab)


def main():
    setup_threads()
    tok, vae, te, unet, vae_stats, info = load_weights()
    log(f"export: U-Net/text encoder EMA weights at step {info['unet_step']}")
    tmp = tempfile.mkdtemp(prefix="tmp-", dir=os.path.dirname(work_path("export", "export.json")))
    fp16, vocab_size = export_all(tmp, tok, vae, te, unet, vae_stats, info)
    # Replace the exported parts of the model folder; README.md / eval.json / samples are rewritten later.
    os.makedirs(MODEL_DIR, exist_ok=True)
    for name in os.listdir(tmp):
        dst = os.path.join(MODEL_DIR, name)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        elif os.path.exists(dst):
            os.remove(dst)
        shutil.move(os.path.join(tmp, name), dst)
    shutil.rmtree(tmp)
    torch.save(dict(te=te.state_dict(), unet=unet.state_dict(), vae=vae.state_dict(),
                    scaling_factor=vae_stats["scaling_factor"], info=info),
               work_path("export", "weights.pt"))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(MODEL_DIR) for f in fs)
    save_json(work_path("export", "export.json"), dict(info, fp16_weights=fp16, folder_bytes=total, vocab_size=vocab_size,
                                                         params=dict(text_encoder=n_params(te), unet=n_params(unet),
                                                                     vae_encoder=n_params(vae.encoder),
                                                                     vae_decoder=n_params(vae.decoder))))
    log(f"export: wrote {MODEL_DIR} ({total / 1e6:.2f} MB, fp16 weights: {fp16 or 'none'})")


if __name__ == "__main__":
    sys.exit(main())
