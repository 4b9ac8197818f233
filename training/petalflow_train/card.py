"""Stage 6: write models/petalflow-shapes/README.md (the model card) from the recorded facts:
dataset settings, parameter counts, training times and losses, evaluation figures."""
import os
import platform
import sys
import time

from .common import MODEL_DIR, load_json, log, settings, work_path
from .data import COLORS, POSITION_PHRASES, RELATION_PHRASES, SHAPES, SIZES, TWO_OBJECT_FRACTION


def pct(d):
    return "n/a" if not d or d.get("accuracy") is None else f"{100 * d['accuracy']:.0f}% ({d['correct']}/{d['total']})"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def folder_size():
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(MODEL_DIR) for f in fs)


def curve(history, key, n=6):
    if not history:
        return "n/a"
    picks = [history[round(i * (len(history) - 1) / (n - 1))] for i in range(n)] if len(history) >= n else history
    return ", ".join(f"{h['step']}: {h[key]:.4f}" for h in picks)


def read_records():
    """The stages' records (a missing one reads as empty)."""
    return dict(
        data=load_json(work_path("data", "done.json"), {}),
        vae=load_json(work_path("vae", "stats.json"), {}),
        exp=load_json(work_path("export", "export.json"), {}),
        ev=load_json(os.path.join(MODEL_DIR, "eval.json"), {}),
    )


def gather(records):
    """Everything the card states, from the records and the settings."""
    s = settings()
    data, vae, exp, ev = (records.get(k, {}) for k in ("data", "vae", "exp", "ev"))
    su = ev.get("summary", {})
    so, two = su.get("single_object", {}), su.get("two_objects", {})
    var = su.get("variety_across_seeds", {})
    ortp = su.get("onnxruntime_pipeline")
    p = exp.get("params", {})
    total_params = sum(p.values()) if p else 0
    unet_min = exp.get("unet_seconds", 0) / 60
    vae_min = vae.get("seconds", 0) / 60
    unet_hist = exp.get("unet_history", [])
    judge = ev.get("judge", {}).get("validation", {})
    positions = ", ".join(f"{k} (\"{v[0]}\")" for k, v in POSITION_PHRASES.items())
    target = s.unet_steps
    status = "" if exp.get("unet_step", 0) >= target else (
        f" (of a planned {target}: this export is from the newest checkpoint of a run that was stopped at its "
        f"time budget or is still going; rerunning training/train.sh continues it)")
    hours = (vae_min + unet_min) / 60
    weakest = sorted(su.get("per_shape", {}).items(), key=lambda kv: kv[1].get("accuracy") or 0)[:2]
    return dict(
        s=s,
        data=data,
        vae=vae,
        exp=exp,
        ev=ev,
        su=su,
        so=so,
        two=two,
        var=var,
        ortp=ortp,
        p=p,
        total_params=total_params,
        unet_min=unet_min,
        vae_min=vae_min,
        unet_hist=unet_hist,
        judge=judge,
        positions=positions,
        target=target,
        status=status,
        hours=hours,
        weakest=weakest,
    )


def header(f):
    return f"""# petalflow-shapes

A tiny text-to-image latent-diffusion model, trained from scratch on a procedurally generated
dataset of flat coloured shapes. It is Petalflow's **bundled demo model and test fixture**: small
enough to ship in the repository ({folder_size() / 1e6:.1f} MB) and fast enough to render on a CPU
in a fraction of a second, while exercising the ordinary Stable Diffusion (ONNX, Hugging Face
Optimum layout) code path end to end: CLIP-style tokenizer, text encoder, U-Net with
cross-attention, classifier-free guidance, DDIM scheduler, KL-VAE.

It is **not** a general image model: it knows only the vocabulary listed below.

![samples](samples.png)

`samples.png`: the first four rows are seeds 0–3 of "a <colour> <shape> on a <colour> background"
for the eight shapes (one column each); rows 5–6 are prompts with a position and size; rows 7–8 are
two-object prompts. The exact prompts are in `eval.json` (`contact_sheet`).

"""


def layout_section(f):
    vae, exp = (f[k] for k in ("vae", "exp"))
    return f"""## Folder layout (Optimum ONNX Stable Diffusion)

| part | file | inputs | outputs |
|---|---|---|---|
| tokenizer | `tokenizer/` (tokenizer.json, vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json) | text | ids, start `<|startoftext|>`, end `<|endoftext|>`, pad to 77 with `<|endoftext|>` |
| text encoder | `text_encoder/model.onnx` | `input_ids` int32 [B,77] | `last_hidden_state` float32 [B,77,128], `pooler_output` float32 [B,128] |
| U-Net | `unet/model.onnx` | `sample` float32 [B,4,h,w], `timestep` float32 [B], `encoder_hidden_states` float32 [B,77,128] | `out_sample` float32 [B,4,h,w] (ε prediction) |
| VAE decoder | `vae_decoder/model.onnx` | `latent_sample` float32 [B,4,h,w] (latents ÷ scaling_factor) | `sample` float32 [B,3,8h,8w] in [−1,1] |
| VAE encoder | `vae_encoder/model.onnx` | `sample` float32 [B,3,H,W] in [−1,1] | `latent_parameters` float32 [B,8,H/8,W/8] (mean ‖ log-variance) |
| scheduler | `scheduler/scheduler_config.json` | DDIM, T = 1000, scaled_linear β 0.00085→0.012, ε-prediction, leading spacing, steps_offset 1 | |

Batch, height and width are dynamic axes (trained at 64×64 pixels = 8×8 latents; other sizes run but
were never trained). ONNX opset 17; weights {"float32" if not exp.get("fp16_weights") else "float16 in " + ", ".join(exp["fp16_weights"]) + " (cast to float32 in-graph; I/O float32)"}.

- **VAE scaling factor: {vae.get("scaling_factor", float("nan")):.5f}** (1 / std of the training set's
  latents, measured after VAE training; *not* SD's 0.18215). Recorded as `scaling_factor` in
  `vae_decoder/config.json` and `vae_encoder/config.json`.
- **Latent previews**: `vae_decoder/config.json` has `latent_rgb_factors` (4×3, rows = latent
  channels, columns = R,G,B) and `latent_rgb_bias` (3), a least-squares fit from scaled latents to the
  8×8-averaged images in [−1,1] (R² = {vae.get("preview_r2", float("nan")):.3f}).
- The tokenizer is a byte-level BPE in CLIP's conventions (lower-case, CLIP's split regex, `</w>`
  word ends, start/end tokens as the last two ids, vocabulary of {exp.get("vocab_size", "")} tokens
  trained on the caption words, so each known word is one token). `tokenizer.json` loads in
  `@huggingface/tokenizers` and gives the same ids as the trainer (checked on 2,000 captions).
  It does not pad; pad to 77 with `<|endoftext|>` (id = eos), as the training did.

"""


def data_section(f):
    s, data, positions = (f[k] for k in ("s", "data", "positions"))
    return f"""## Data

{data.get("n_images", "?")} images, 64×64 RGB, generated by `training/petalflow_train/data.py` from seed
{data.get("seed", s.seed)} (no external data, no licence questions). Flat shapes on flat backgrounds, drawn
at 4× and downsampled (anti-aliased), with jitter in position (±2–3 px), size (±12 %), rotation
(±8°) and colour (±8 per channel). {100 * TWO_OBJECT_FRACTION:.0f}% of images hold two objects in a
left/right/above/below relation. Captions are phrased afresh every time an image is used, from
several templates with size, position and background each optional, e.g. "a small green heart at the
bottom right on a white background", "purple diamond below orange ring, red background", "a red
circle". 10% of captions are dropped to "" (the unconditional embedding for CFG).

### Vocabulary it knows

- **Colours** (objects and backgrounds; an object never has its background's colour): {", ".join(COLORS)}
- **Shapes**: {", ".join(SHAPES)}
- **Sizes**: {", ".join(SIZES)}
- **Positions**: {positions}; "in the center" / "in the middle" also mean centre
- **Relations** (two objects): {", ".join(f'"{v}"' for v in RELATION_PHRASES.values())}
- **Templates**: "a [size] <colour> <shape> [position] on a <colour> background", "[size] <colour> <shape> [position], <colour> background",
  "a <colour> background with a [size] <colour> <shape> [position]", "a <colour> <shape> <relation> a <colour> <shape> on a <colour> background"

"""


def architecture_section(f):
    p, total_params = (f[k] for k in ("p", "total_params"))
    return f"""## Architecture

| part | parameters | notes |
|---|---|---|
| text encoder | {p.get("text_encoder", 0):,} | CLIP-like transformer, width 128, 2 layers, 4 heads, causal mask, final LayerNorm, pooled at the first `<|endoftext|>` |
| U-Net | {p.get("unet", 0):,} | channels 64 (8×8) / 128 (4×4); a ResBlock + spatial transformer (self-attention, cross-attention to the text, GEGLU) per level, mid block, skip connections; sinusoidal timestep embedding |
| VAE encoder | {p.get("vae_encoder", 0):,} | 64×64×3 → 8×8×(4 mean + 4 log-variance); channels 24/48/96/128 |
| VAE decoder | {p.get("vae_decoder", 0):,} | 8×8×4 → 64×64×3 |
| **total** | **{total_params:,}** | |

"""


def training_section(f):
    s, vae, exp, unet_min, vae_min, unet_hist, status = (f[k] for k in ("s", "vae", "exp", "unet_min", "vae_min", "unet_hist", "status"))
    return f"""## Training

Hardware: {os.cpu_count()} CPU cores ({cpu_name()}), no GPU, torch {__import__("torch").__version__}. The cores were
shared with the team's builds and browser tests, so the minutes below are wall-clock time at a fraction of the CPU.

- **VAE**: {vae.get("steps", "?")} steps, batch {s.vae_batch}, AdamW lr 1e-3 (linear decay to 1e-4), loss L1 + MSE + 1e-4·KL;
  {vae_min:.0f} min. Held-out reconstruction (500 unseen images): MSE {vae.get("holdout_mse", float("nan")):.5f}, PSNR {vae.get("holdout_psnr_db", float("nan")):.1f} dB.
  L1 by step: {curve(vae.get("history"), "l1")}.
- **Text encoder + U-Net** (jointly): {exp.get("unet_step", "?")} steps{status}, batch {s.unet_batch}, AdamW lr 3e-4 (200 warm-up steps, then constant),
  DDPM ε-objective, T = 1000, scaled_linear β 0.00085→0.012, min-SNR-5 weighting, 10% caption dropout, EMA 0.999
  (the EMA weights are exported); {unet_min:.0f} min. Loss (min-SNR weighted) by step: {curve(unet_hist, "loss")}.
- Total: {vae_min + unet_min:.0f} min of training plus a few minutes of data generation, export and evaluation.

**Determinism.** All randomness is seeded (dataset seed {s.seed}; each training step draws its batch, captions and
noise from a generator seeded by (seed, stage, step), so a resumed run sees the same batches as an uninterrupted
one). On the same machine, torch build and thread count, a rerun reproduces the dataset byte for byte and the
training up to floating-point non-associativity in multi-threaded CPU kernels; the dataset, tokenizer and the
evaluation prompts and seeds are exactly reproducible everywhere. Bit-identical weights across different CPUs or
torch versions are not promised. How the shipped checkpoint was actually reached (interruptions, time budgets,
changed step targets) is recorded in `training/README.md`.

"""


def evaluation_section(f):
    ev, su, so, two, var, judge = (f[k] for k in ("ev", "su", "so", "two", "var", "judge"))
    return f"""## Evaluation

{ev.get("evaluated_with", "")}. Sampler: DDIM, {ev.get("sampler", {}).get("steps", 25)} steps, CFG {ev.get("sampler", {}).get("cfg", 7.5)},
starting noise `torch.manual_seed(seed); torch.randn([1,4,8,8])`, U-Net step {ev.get("unet_step", "?")}.

The pictures are graded by a pixel judge (`training/petalflow_train/evaluate.py`): pixels are quantised to the
palette; the background is the commonest colour on the border; the object is what differs clearly from it; position is
the centre of mass on a 3×3 grid; size is the area against per-shape thresholds; shape is a 5-nearest-neighbour
classifier on bounding-box-normalised masks of training images. **The judge's own accuracy** on held-out
training images: {", ".join(f"{k} {pct(v)}" for k, v in judge.items())}.

| measure | result |
|---|---|
| single object: colour | {pct(so.get("color"))} |
| single object: shape | {pct(so.get("shape"))} |
| single object: colour and shape | {pct(so.get("color_and_shape"))} |
| single object: background colour | {pct(so.get("background"))} |
| single object: colour, shape and background all right | {pct(so.get("all_three"))} |
| position (9 positions) | {pct(su.get("position"))} |
| size (small/large) | {pct(su.get("size"))} |
| two objects: both colours present | {pct(two.get("both_colors"))} |
| two objects: relation right | {pct(two.get("relation"))} (swapped: {pct(two.get("relation_swapped"))}) |
| two objects: both shapes right | {pct(two.get("both_shapes"))} |
| two objects: background | {pct(two.get("background"))} |

Per shape (colour and shape right): {", ".join(f"{k} {pct(v)}" for k, v in su.get("per_shape", {}).items())}.

Variety across seeds ({var.get("seeds_per_prompt", "?")} seeds × {var.get("prompts", "?")} prompts that name no size or position): mean pairwise pixel
difference {var.get("mean_pairwise_pixel_difference", "?")}, spread of the object's centre {var.get("mean_centre_spread_px", "?")} px,
{var.get("mean_distinct_positions", "?")} distinct grid positions per prompt on average, {var.get("prompts_with_both_sizes", "?")} prompts showing both sizes.
"""


def onnx_check_section(f):
    ortp = f["ortp"]
    if not ortp:
        return ""
    j = ortp["judged"]
    return f"""
**ONNX check** ({ortp["runtime"]}, the runtime the app uses): outputs match torch within
{max(ortp["max_abs_output_diff"].values()):.1e}; the full pipeline for "{ortp["prompt"]}" (seed 0, 25 DDIM steps,
CFG 7.5: tokenizer → text encoder → 50 U-Net evaluations → VAE decoder) takes **{ortp["ms_median"]:.0f} ms** on this CPU
and the judge sees: {j.get("color")} {j.get("shape")} on {j.get("bg")}, position {j.get("position")} (`sample_red_circle.png`);
largest pixel difference from the torch run: {ortp["max_abs_pixel_diff_vs_torch"]:.0f}/255.
"""


def limits_section(f):
    two, var, hours, weakest = (f[k] for k in ("two", "var", "hours", "weakest"))
    return f"""
Full per-sample results are in `eval.json`.

## Limits

- Only the vocabulary above; anything else is ignored or produces arbitrary shapes. 64×64 pixels only.
- Two objects are the hardest case: the relation was right in {pct(two.get("relation"))} of samples and
  reversed in {pct(two.get("relation_swapped"))}; both shapes right in {pct(two.get("both_shapes"))}.
- Weakest shapes in this evaluation: {", ".join(f"{k} ({pct(v)})" for k, v in weakest)}.
- Variety across seeds comes mostly from where the object sits and how big it is when the prompt leaves that
  open (figures above); colours and shapes are meant to follow the prompt.
- Scores come from {var.get("seeds_per_prompt", "a few")} seeds per prompt and a pixel judge; treat them as rough.
- A demonstration and test fixture, trained for {hours:.1f} h on {os.cpu_count()} CPU cores; not for any real use.

## Licence

Same licence as the Petalflow repository it ships in. The training data is generated by code in
`training/` and has no third-party content; there are no upstream weights.

## Retraining

```bash
nohup npm run train:model > /dev/null 2>&1 &     # or: nohup bash training/train.sh &
tail -f training/work/train.log
bash training/train.sh --export-only             # re-export + evaluate + card from the newest checkpoint
PF_UNET_STEPS=12000 bash training/train.sh       # continue the U-Net for longer (resumes from the checkpoint)
bash training/train.sh --smoke                   # 5-minute end-to-end check in training/work/smoke/
```

See `training/README.md`. Card generated {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.
"""


SECTIONS = (
    header,
    layout_section,
    data_section,
    architecture_section,
    training_section,
    evaluation_section,
    onnx_check_section,
    limits_section,
)


def render(f):
    """The card's Markdown: one function per section, each reading only the facts it states."""
    return "".join(section(f) for section in SECTIONS)


def main():
    lines = render(gather(read_records()))
    with open(os.path.join(MODEL_DIR, "README.md"), "w") as f:
        f.write(lines)
    log(f"card: wrote {os.path.join(MODEL_DIR, 'README.md')}")


if __name__ == "__main__":
    sys.exit(main())
