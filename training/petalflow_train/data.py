"""Procedural captioned dataset: flat shapes on flat backgrounds, 64x64 RGB.

Everything is drawn from a seeded generator, so the dataset is identical on every
machine and carries no licence questions. Captions are not stored: each image
keeps structured metadata and `make_caption` phrases it afresh (a few paraphrase
templates, optional size/position/background) every time it is used.
"""
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

from .common import log, save_json, load_json, settings, work_path

RES = 64
SUPER = 4  # draw at 4x and downsample: anti-aliased edges like a real image

# Chosen to be far apart in RGB so both the model and the pixel judge can tell them apart.
COLORS = {
    "red": (220, 30, 30),
    "orange": (255, 140, 0),
    "yellow": (250, 220, 20),
    "green": (30, 170, 50),
    "blue": (30, 70, 220),
    "purple": (140, 50, 190),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
SHAPES = ["circle", "square", "triangle", "star", "heart", "diamond", "cross", "ring"]
SIZES = {"small": 9.5, "large": 15.5}  # radius in pixels at 64x64
# Grid positions: 18 / 32 / 46 px; the judge splits at 25 and 39.
POSITIONS = {
    "centre": (32, 32), "left": (18, 32), "right": (46, 32), "top": (32, 18), "bottom": (32, 46),
    "top left": (18, 18), "top right": (46, 18), "bottom left": (18, 46), "bottom right": (46, 46),
}
POSITION_PHRASES = {
    "centre": ["in the centre", "in the center", "in the middle"],
    "left": ["on the left"], "right": ["on the right"], "top": ["at the top"], "bottom": ["at the bottom"],
    "top left": ["at the top left"], "top right": ["at the top right"],
    "bottom left": ["at the bottom left"], "bottom right": ["at the bottom right"],
}
RELATIONS = ["left of", "right of", "above", "below"]
RELATION_PHRASES = {"left of": "to the left of", "right of": "to the right of", "above": "above", "below": "below"}
TWO_OBJECT_FRACTION = 0.2


def _shape_polygon(shape, cx, cy, r, rot):
    """Vertices for polygon shapes (None for round ones, drawn with ellipses)."""
    def pts(coords):
        c, s = math.cos(rot), math.sin(rot)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in coords]

    if shape == "square":
        h = 0.82 * r
        return pts([(-h, -h), (h, -h), (h, h), (-h, h)])
    if shape == "triangle":
        return pts([(r * math.cos(a), 0.12 * r + r * math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)])
    if shape == "star":
        out = []
        for i in range(10):
            rr = r * 1.05 if i % 2 == 0 else r * 0.45
            a = -math.pi / 2 + i * math.pi / 5
            out.append((rr * math.cos(a), rr * math.sin(a)))
        return pts(out)
    if shape == "diamond":
        return pts([(0, -r), (0.72 * r, 0), (0, r), (-0.72 * r, 0)])
    if shape == "cross":
        a, w = r * 0.95, r * 0.32
        return pts([(-w, -a), (w, -a), (w, -w), (a, -w), (a, w), (w, w), (w, a), (-w, a), (-w, w), (-a, w), (-a, -w), (-w, -w)])
    if shape == "heart":
        out = []
        for i in range(48):
            t = 2 * math.pi * i / 48
            x = 16 * math.sin(t) ** 3
            y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
            out.append((x * r / 16.5, (y + 2.5) * r / 16.5))
        return pts(out)
    return None


def draw_object(draw, shape, color, cx, cy, r, rot, bg):
    s = SUPER
    cx, cy, r = cx * s, cy * s, r * s
    if shape in ("circle", "ring"):
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
        if shape == "ring":
            ri = 0.55 * r
            draw.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=bg)
    else:
        draw.polygon(_shape_polygon(shape, cx, cy, r, rot), fill=color)


def _jitter_color(rng, rgb):
    return tuple(int(np.clip(c + rng.integers(-8, 9), 0, 255)) for c in rgb)


def render(meta, rng):
    bg = _jitter_color(rng, COLORS[meta["bg"]])
    img = Image.new("RGB", (RES * SUPER, RES * SUPER), bg)
    d = ImageDraw.Draw(img)
    for o in meta["objects"]:
        draw_object(d, o["shape"], _jitter_color(rng, COLORS[o["color"]]), o["cx"], o["cy"], o["r"], o["rot"], bg)
    return np.asarray(img.resize((RES, RES), Image.LANCZOS), dtype=np.uint8)


def sample_meta(rng):
    """One random scene description (positions and sizes already jittered)."""
    names = list(COLORS)
    bg = names[rng.integers(len(names))]
    if rng.random() < TWO_OBJECT_FRACTION:
        c1, c2 = rng.choice([c for c in names if c != bg], size=2, replace=False)
        s1, s2 = rng.choice(SHAPES, size=2)
        rel = RELATIONS[rng.integers(4)]
        a, b = 18 + rng.uniform(-2, 2), 46 + rng.uniform(-2, 2)
        off = rng.uniform(-6, 6)
        # object 1 stands in `rel` to object 2
        if rel == "left of":
            p1, p2 = (a, 32 + off), (b, 32 + rng.uniform(-6, 6))
        elif rel == "right of":
            p1, p2 = (b, 32 + off), (a, 32 + rng.uniform(-6, 6))
        elif rel == "above":
            p1, p2 = (32 + off, a), (32 + rng.uniform(-6, 6), b)
        else:
            p1, p2 = (32 + off, b), (32 + rng.uniform(-6, 6), a)
        objs = []
        for s, c, (x, y) in ((s1, c1, p1), (s2, c2, p2)):
            objs.append(dict(shape=str(s), color=str(c), size=None, pos=None, cx=float(x), cy=float(y),
                             r=float(10.5 * rng.uniform(0.9, 1.1)), rot=float(rng.uniform(-0.14, 0.14))))
        return dict(bg=bg, objects=objs, relation=rel)
    color = [c for c in names if c != bg][rng.integers(len(names) - 1)]
    shape = SHAPES[rng.integers(len(SHAPES))]
    size = list(SIZES)[rng.integers(2)]
    pos = list(POSITIONS)[rng.integers(len(POSITIONS))]
    x, y = POSITIONS[pos]
    j = 3.0 if size == "small" else 2.0
    obj = dict(shape=shape, color=color, size=size, pos=pos, cx=float(x + rng.uniform(-j, j)),
               cy=float(y + rng.uniform(-j, j)), r=float(SIZES[size] * rng.uniform(0.88, 1.12)),
               rot=float(rng.uniform(-0.14, 0.14)))
    return dict(bg=bg, objects=[obj], relation=None)


def _article(word):
    return "an" if word[0] in "aeiou" else "a"


def make_caption(meta, rng):
    """Phrase a scene in one of several templates; parts are optional so short prompts work too."""
    bg = meta["bg"]
    if meta["relation"]:
        o1, o2 = meta["objects"]
        rel = meta["relation"]
        if rng.random() < 0.5:  # say it the other way round half the time
            o1, o2 = o2, o1
            rel = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}[rel]
        a = f"{o1['color']} {o1['shape']}"
        b = f"{o2['color']} {o2['shape']}"
        t = rng.integers(3)
        if t == 0:
            return f"{_article(a)} {a} {RELATION_PHRASES[rel]} {_article(b)} {b} on {_article(bg)} {bg} background"
        if t == 1:
            return f"{a} {RELATION_PHRASES[rel]} {b}, {bg} background"
        return f"{_article(bg)} {bg} background with {_article(a)} {a} {RELATION_PHRASES[rel]} {_article(b)} {b}"
    o = meta["objects"][0]
    words = ([o["size"]] if rng.random() < 0.6 else []) + [o["color"], o["shape"]]
    thing = " ".join(words)
    pos = (" " + POSITION_PHRASES[o["pos"]][rng.integers(len(POSITION_PHRASES[o["pos"]]))]) if rng.random() < 0.6 else ""
    t = rng.integers(5)
    if t == 0:
        return f"{_article(thing)} {thing}{pos} on {_article(bg)} {bg} background"
    if t == 1:
        return f"{thing}{pos}, {bg} background"
    if t == 2:
        return f"{_article(bg)} {bg} background with {_article(thing)} {thing}{pos}"
    if t == 3:
        return f"{_article(thing)} {thing}{pos} on {bg}"
    return f"{_article(thing)} {thing}{pos}"


def vocabulary_words():
    """Every word a caption can contain (the tokenizer gives each its own token)."""
    words = set()
    for c in COLORS:
        words.add(c)
    words.update(SHAPES)
    words.update(SIZES)
    for ps in POSITION_PHRASES.values():
        for p in ps:
            words.update(p.split())
    for p in RELATION_PHRASES.values():
        words.update(p.split())
    words.update(["a", "an", "on", "background", "with", "and", "the", "of"])
    return sorted(words)


def generate(n, seed):
    rng = np.random.default_rng(seed)
    images = np.zeros((n, RES, RES, 3), dtype=np.uint8)
    metas = []
    for i in range(n):
        m = sample_meta(rng)
        images[i] = render(m, rng)
        metas.append(m)
    return images, metas


def load_dataset():
    images = np.load(work_path("data", "images.npy"), mmap_mode="r")
    metas = load_json(work_path("data", "meta.json"))
    return images, metas


def main():
    s = settings()
    done = work_path("data", "done.json")
    info = load_json(done)
    if info and info.get("n_images") == s.n_images and info.get("seed") == s.seed:
        log(f"data: already generated ({s['n_images']} images)")
        return
    log(f"data: generating {s['n_images']} images (seed {s['seed']})")
    images, metas = generate(s.n_images, s.seed)
    np.save(work_path("data", "images.npy"), images)
    save_json(work_path("data", "meta.json"), metas)
    grid = images[:64].reshape(8, 8, RES, RES, 3).transpose(0, 2, 1, 3, 4).reshape(8 * RES, 8 * RES, 3)
    Image.fromarray(grid).save(work_path("data", "preview.png"))
    rng = np.random.default_rng(0)
    with open(work_path("data", "preview_captions.txt"), "w") as f:
        for m in metas[:64]:
            f.write(make_caption(m, rng) + "\n")
    save_json(done, dict(n_images=s.n_images, seed=s.seed,
                         two_object=sum(1 for m in metas if m["relation"])))
    log("data: done")


if __name__ == "__main__":
    sys.exit(main())
