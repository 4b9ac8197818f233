"""Stage 5: sample prompts with the exported weights and grade the pictures with a pixel judge.

Sampling runs in torch on the exact weights that export.py wrote (work/export/weights.pt):
Debian has no python3-onnxruntime. The ONNX files themselves are checked by
check_onnx.mjs with onnxruntime-node (outputs vs torch, and one full 25-step run whose
picture is graded here too).

The judge quantises pixels to the palette (colour clustering with known centres): the
background is the most common colour on the border, the object is everything clearly
different from it; position is the mask's centre of mass on a 3x3 grid; size is the area
against per-shape thresholds; shape is a k-nearest-neighbour classifier on bounding-box
normalised masks of training images. Its own accuracy is measured first on held-out
training images.
"""
import itertools
import os
import sys

import numpy as np
import torch
from PIL import Image

from .common import MODEL_DIR, ddim, load_json, log, save_json, settings, setup_threads, work_path
from .data import COLORS, POSITION_PHRASES, POSITIONS, RELATION_PHRASES, SHAPES, load_dataset
from .models import VAE
from .tokenizer import Tokenizer
from .train_unet import build_models

PALETTE = np.array(list(COLORS.values()), dtype=np.float32)
NAMES = list(COLORS)
STEPS, CFG = 25, 7.5
FAR_FROM_BG = 70.0  # RGB distance: pixels closer to the background colour are edges/noise


# --- the judge ---------------------------------------------------------------------------------
def quantise(img):
    d = ((img[:, :, None, :].astype(np.float32) - PALETTE[None, None]) ** 2).sum(-1)
    return d.argmin(-1)


def background(lab):
    border = np.concatenate([lab[:2].ravel(), lab[-2:].ravel(), lab[:, :2].ravel(), lab[:, -2:].ravel()])
    return int(np.bincount(border, minlength=len(NAMES)).argmax())


def colour_masks(img):
    lab = quantise(img)
    bg = background(lab)
    far = np.sqrt(((img.astype(np.float32) - PALETTE[bg]) ** 2).sum(-1)) > FAR_FROM_BG
    return lab, bg, far


def largest_component(mask):
    """Keep the biggest 4-connected blob: drops stray pixels such as another object's anti-aliased rim."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    best = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, blob = [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            blob.append((y, x))
            for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not seen[yy, xx]:
                    seen[yy, xx] = True
                    stack.append((yy, xx))
        if len(blob) > len(best):
            best = blob
    out = np.zeros_like(mask, dtype=bool)
    if best:
        ys, xs = zip(*best)
        out[list(ys), list(xs)] = True
    return out


def mask_features(mask, size=20):
    ys, xs = np.nonzero(mask)
    crop = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.uint8) * 255
    v = np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    return v.ravel()


def position_name(cx, cy):
    col = 0 if cx < 25 else (2 if cx > 39 else 1)
    row = 0 if cy < 25 else (2 if cy > 39 else 1)
    v = ["top", "", "bottom"][row]
    h = ["left", "", "right"][col]
    return (v + " " + h).strip() or "centre"


class Judge:
    def __init__(self, images, metas, n_ref=3000):
        feats, labels, areas = [], [], {s: {"small": [], "large": []} for s in SHAPES}
        for img, m in zip(images[:n_ref], metas[:n_ref]):
            if m["relation"]:
                continue
            o = m["objects"][0]
            lab, bg, far = colour_masks(np.asarray(img))
            mask = largest_component((lab == NAMES.index(o["color"])) & far)
            if mask.sum() < 10:
                continue
            feats.append(mask_features(mask))
            labels.append(SHAPES.index(o["shape"]))
            areas[o["shape"]][o["size"]].append(mask.sum())
        self.feats = np.stack(feats)
        self.labels = np.array(labels)
        # Size threshold per shape: geometric mean of the typical small and large areas.
        self.size_cut = {s: float(np.sqrt(np.median(a["small"]) * np.median(a["large"]))) for s, a in areas.items()}

    def shape_of(self, mask, k=5):
        d = ((self.feats - mask_features(mask)[None]) ** 2).sum(1)
        near = self.labels[np.argsort(d)[:k]]
        return SHAPES[int(np.bincount(near, minlength=len(SHAPES)).argmax())]

    def single(self, img):
        lab, bg, far = colour_masks(img)
        obj = far & (lab != bg)
        out = dict(bg=NAMES[bg], color=None, shape=None, position=None, size=None, area=int(obj.sum()))
        if obj.sum() < 12:
            return out
        color = int(np.bincount(lab[obj], minlength=len(NAMES)).argmax())
        mask = largest_component(obj & (lab == color))
        ys, xs = np.nonzero(mask)
        cx, cy = float(xs.mean()), float(ys.mean())
        shape = self.shape_of(mask)
        size = "large" if mask.sum() > self.size_cut[shape] else "small"
        return dict(out, color=NAMES[color], shape=shape, position=position_name(cx, cy), size=size,
                    cx=cx, cy=cy, area=int(mask.sum()))

    def pair(self, img, c1, c2):
        lab, bg, far = colour_masks(img)
        obj = far & (lab != bg)
        counts = np.bincount(lab[obj], minlength=len(NAMES))
        top2 = set(np.argsort(-counts)[:2].tolist())
        res = dict(bg=NAMES[bg], colors_ok=bool(top2 == {NAMES.index(c1), NAMES.index(c2)}
                                                and counts[NAMES.index(c1)] >= 12 and counts[NAMES.index(c2)] >= 12))
        cents, shapes = [], []
        for c in (c1, c2):
            mask = largest_component(obj & (lab == NAMES.index(c)))
            if mask.sum() < 12:
                return dict(res, relation=None, shapes=None)
            ys, xs = np.nonzero(mask)
            cents.append((xs.mean(), ys.mean()))
            shapes.append(self.shape_of(mask))
        dx, dy = cents[0][0] - cents[1][0], cents[0][1] - cents[1][1]
        rel = ("left of" if dx < 0 else "right of") if abs(dx) > abs(dy) else ("above" if dy < 0 else "below")
        return dict(res, relation=rel, shapes=shapes)


def validate_judge(judge, images, metas, n):
    """The judge's accuracy on held-out training images, whose true contents are known."""
    hits = {k: [] for k in ("bg", "color", "shape", "position", "size", "pair_colors", "pair_relation", "pair_shapes")}
    for img, m in zip(images[-n:], metas[-n:]):
        img = np.asarray(img)
        if m["relation"]:
            o1, o2 = m["objects"]
            r = judge.pair(img, o1["color"], o2["color"])
            hits["pair_colors"].append(r["colors_ok"])
            hits["pair_relation"].append(r["relation"] == m["relation"])
            hits["pair_shapes"].append(r["shapes"] == [o1["shape"], o2["shape"]])
            hits["bg"].append(r["bg"] == m["bg"])
        else:
            o = m["objects"][0]
            r = judge.single(img)
            for k, truth in (("bg", m["bg"]), ("color", o["color"]), ("shape", o["shape"]),
                             ("position", o["pos"]), ("size", o["size"])):
                hits[k].append(r[k] == truth)
    return {k: dict(correct=int(np.sum(v)), total=len(v), accuracy=round(float(np.mean(v)), 4)) for k, v in hits.items() if v}


# --- sampling ----------------------------------------------------------------------------------
@torch.no_grad()
def ddim_sample(te, unet, vae, scaling, tok, prompts, seeds, steps=STEPS, cfg=CFG, batch=64):
    """diffusers' DDIM (eta 0, leading spacing, steps_offset 1, set_alpha_to_one False) with CFG."""
    sched = ddim(steps)  # the reference port's DDIM: the same one the TypeScript schedulers are checked against
    uncond, _ = te(torch.tensor([tok.encode_padded("")], dtype=torch.int32))
    out = []
    for i in range(0, len(prompts), batch):
        ps, ss = prompts[i:i + batch], seeds[i:i + batch]
        cond, _ = te(torch.tensor([tok.encode_padded(p) for p in ps], dtype=torch.int32))
        ctx = torch.cat([uncond.expand(len(ps), -1, -1), cond])
        x = torch.cat([torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(s)) for s in ss]).double()
        for k, t in enumerate(sched.timesteps):
            e = unet(torch.cat([x, x]).float(), torch.full((2 * len(ps),), float(t)), ctx).double()
            eps = e[: len(ps)] + cfg * (e[len(ps):] - e[: len(ps)])
            x = torch.from_numpy(sched.step(eps.numpy(), k, x.numpy()))
        img = vae.decoder((x / scaling).float()).clamp(-1, 1)
        out.append(((img + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def prompt_sets(seed, n_seeds):
    rng = np.random.default_rng(seed + 5)
    names = list(COLORS)

    def pair():
        c, b = rng.choice(names, size=2, replace=False)
        return str(c), str(b)

    single = [("a red circle on a blue background", dict(color="red", shape="circle", bg="blue"))]
    for shape in SHAPES:
        for _ in range(3 if shape != "circle" else 2):
            c, b = pair()
            single.append((f"a {c} {shape} on a {b} background", dict(color=c, shape=shape, bg=b)))
    positioned = []
    for pos in POSITIONS:
        for _ in range(2):
            c, b = pair()
            shape, size = str(rng.choice(SHAPES)), str(rng.choice(["small", "large"]))
            positioned.append((f"a {size} {c} {shape} {POSITION_PHRASES[pos][0]} on a {b} background",
                               dict(color=c, shape=shape, bg=b, position=pos, size=size)))
    sized = []
    for i, shape in enumerate(SHAPES):
        c, b = pair()
        size = ["small", "large"][i % 2]
        sized.append((f"a {size} {c} {shape} on a {b} background", dict(color=c, shape=shape, bg=b, size=size)))
    pairs = []
    for rel in RELATION_PHRASES:
        for _ in range(4):
            c1, c2, b = (str(x) for x in rng.choice(names, size=3, replace=False))
            s1, s2 = (str(x) for x in rng.choice(SHAPES, size=2))
            pairs.append((f"a {c1} {s1} {RELATION_PHRASES[rel]} a {c2} {s2} on a {b} background",
                          dict(c1=c1, c2=c2, s1=s1, s2=s2, bg=b, relation=rel)))
    return dict(single=(single, list(range(n_seeds))), positioned=(positioned, [0, 1]), sized=(sized, [0, 1]),
                pairs=(pairs, [0, 1]))


def frac(values):
    values = list(values)
    return dict(correct=int(sum(values)), total=len(values), accuracy=round(float(np.mean(values)), 4) if values else None)


def variety(images, judged):
    """Across seeds of one prompt: mean pairwise pixel difference and spread of the object's centre."""
    diffs = [np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255.0 for a, b in itertools.combinations(images, 2)]
    cs = [(j["cx"], j["cy"]) for j in judged if j.get("cx") is not None]
    spread = float(np.sqrt(np.var([c[0] for c in cs]) + np.var([c[1] for c in cs]))) if len(cs) > 1 else 0.0
    return float(np.mean(diffs)), spread, len({j["position"] for j in judged}), len({j["size"] for j in judged})


def main():
    setup_threads()
    s = settings()
    torch.manual_seed(s.seed)
    w = torch.load(work_path("export", "weights.pt"))
    tok = Tokenizer.build()
    te, unet = build_models(tok)
    te.load_state_dict(w["te"])
    unet.load_state_dict(w["unet"])
    vae = VAE()
    vae.load_state_dict(w["vae"])
    for m in (te, unet, vae):
        m.eval()
    images, metas = load_dataset()
    log("evaluate: fitting and validating the judge on training images")
    judge = Judge(images, metas)
    judge_acc = validate_judge(judge, images, metas, s.judge_val)
    log("evaluate: judge accuracy " + ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in judge_acc.items()))

    sets = prompt_sets(s.seed, s.eval_seeds)
    results, samples = {}, {}
    for name, (items, seeds) in sets.items():
        prompts = [p for p, _ in items for _ in seeds]
        sds = [sd for _ in items for sd in seeds]
        imgs = ddim_sample(te, unet, vae, w["scaling_factor"], tok, prompts, sds)
        samples[name] = imgs
        rows = []
        for k, (p, truth) in enumerate(items):
            for j, sd in enumerate(seeds):
                img = imgs[k * len(seeds) + j]
                r = judge.pair(img, truth["c1"], truth["c2"]) if name == "pairs" else judge.single(img)
                rows.append(dict(prompt=p, seed=sd, truth=truth, judged=r))
        results[name] = rows
        log(f"evaluate: sampled {len(prompts)} images for '{name}'")

    single = results["single"] + results["positioned"] + results["sized"]
    summary = {
        "single_object": {
            "color": frac(r["judged"]["color"] == r["truth"]["color"] for r in single),
            "shape": frac(r["judged"]["shape"] == r["truth"]["shape"] for r in single),
            "color_and_shape": frac(r["judged"]["color"] == r["truth"]["color"] and r["judged"]["shape"] == r["truth"]["shape"]
                                    for r in single),
            "background": frac(r["judged"]["bg"] == r["truth"]["bg"] for r in single),
            "all_three": frac(r["judged"]["color"] == r["truth"]["color"] and r["judged"]["shape"] == r["truth"]["shape"]
                              and r["judged"]["bg"] == r["truth"]["bg"] for r in single),
        },
        "position": frac(r["judged"]["position"] == r["truth"]["position"] for r in results["positioned"]),
        "size": frac(r["judged"]["size"] == r["truth"]["size"] for r in results["positioned"] + results["sized"]),
        "two_objects": {
            "both_colors": frac(r["judged"]["colors_ok"] for r in results["pairs"]),
            "relation": frac(r["judged"]["relation"] == r["truth"]["relation"] for r in results["pairs"]),
            "relation_swapped": frac(r["judged"]["relation"] == {"left of": "right of", "right of": "left of",
                                                                 "above": "below", "below": "above"}[r["truth"]["relation"]]
                                     for r in results["pairs"]),
            "both_shapes": frac(r["judged"]["shapes"] == [r["truth"]["s1"], r["truth"]["s2"]] for r in results["pairs"]),
            "background": frac(r["judged"]["bg"] == r["truth"]["bg"] for r in results["pairs"]),
        },
        "per_shape": {sh: frac(r["judged"]["shape"] == sh and r["judged"]["color"] == r["truth"]["color"]
                               for r in single if r["truth"]["shape"] == sh) for sh in SHAPES},
    }
    # Variety: prompts without size or position leave those to the seed, as in training.
    items, seeds = sets["single"]
    var = [variety(samples["single"][k * len(seeds):(k + 1) * len(seeds)], [r["judged"] for r in results["single"][k * len(seeds):(k + 1) * len(seeds)]])
           for k in range(len(items))]
    summary["variety_across_seeds"] = dict(
        seeds_per_prompt=len(seeds), prompts=len(items),
        mean_pairwise_pixel_difference=round(float(np.mean([v[0] for v in var])), 4),
        mean_centre_spread_px=round(float(np.mean([v[1] for v in var])), 2),
        mean_distinct_positions=round(float(np.mean([v[2] for v in var])), 2),
        prompts_with_both_sizes=int(sum(v[3] > 1 for v in var)),
        note="a prompt naming no size/position; training images spread over 9 positions and 2 sizes")

    # The onnxruntime-node run of the same prompt and seed 0 (from check_onnx.mjs), if it is for these weights.
    ort = load_json(work_path("export", "ort_check.json"))
    export_info = load_json(work_path("export", "export.json"))
    if ort and os.path.getmtime(work_path("export", "ort_check.json")) >= os.path.getmtime(work_path("export", "weights.pt")):
        ort_img = ((np.array(ort["pipeline"]["image"], dtype=np.float32).reshape(3, 64, 64).transpose(1, 2, 0) + 1) * 127.5).round()
        ref = samples["single"][0].astype(np.float32)  # same prompt, seed 0
        summary["onnxruntime_pipeline"] = dict(
            runtime=ort["runtime"], prompt=ort["pipeline"]["prompt"], seed=0, steps=STEPS, cfg=CFG,
            ms_median=round(ort["pipeline"]["ms_median"], 1), judged=judge.single(ort_img.clip(0, 255).astype(np.uint8)),
            max_abs_pixel_diff_vs_torch=float(np.abs(ort_img - ref).max()),
            max_abs_output_diff=dict((k, v["maxAbsDiffVsTorch"]) for k, v in ort["models"].items()))
        Image.fromarray(ort_img.clip(0, 255).astype(np.uint8)).resize((256, 256), Image.NEAREST).save(
            os.path.join(MODEL_DIR, "sample_red_circle.png"))

    # A contact sheet: columns = shapes (seeds 0-3 down), then positions, then two-object prompts.
    sh = samples["single"]
    n_seeds = len(sets["single"][1])
    first_of_shape = [next(k for k, (p, t) in enumerate(sets["single"][0]) if t["shape"] == s_) for s_ in SHAPES]
    rows = [[sh[k * n_seeds + j] for k in first_of_shape] for j in range(min(4, n_seeds))]
    pos = samples["positioned"][::2]
    rows += [list(pos[:8]), list(pos[8:16])]
    pr = samples["pairs"][::2]
    rows += [list(pr[:8]), list(pr[8:16])]
    sheet = np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)
    Image.fromarray(sheet).save(os.path.join(MODEL_DIR, "samples.png"))
    sheet_prompts = dict(
        shapes_rows=[sets["single"][0][k][0] for k in first_of_shape],
        position_rows=[p for p, _ in sets["positioned"][0]][:16], pair_rows=[p for p, _ in sets["pairs"][0]][:16])

    report = dict(evaluated_with="torch (CPU) on the exported weights; ONNX checked separately with onnxruntime-node",
                  sampler=dict(name="DDIM", steps=STEPS, cfg=CFG, eta=0.0, timestep_spacing="leading",
                               noise="torch.manual_seed(seed); torch.randn([1,4,8,8])"),
                  unet_step=export_info["unet_step"] if export_info else None,
                  judge=dict(method=__doc__.split("\n\n")[2].replace("\n", " "), validation=judge_acc,
                             validated_on=f"last {s['judge_val']} training images (held out from training)"),
                  summary=summary, contact_sheet=sheet_prompts, samples=results)
    save_json(os.path.join(MODEL_DIR, "eval.json"), report)
    so = summary["single_object"]
    log(f"evaluate: colour {so['color']['accuracy']}, shape {so['shape']['accuracy']}, bg {so['background']['accuracy']}, "
        f"position {summary['position']['accuracy']}, size {summary['size']['accuracy']}, "
        f"relation {summary['two_objects']['relation']['accuracy']}")


if __name__ == "__main__":
    sys.exit(main())
