"""Writes a small sample of the demo model's training images (single objects) with their scene metadata,
so the test-time pixel judge can be checked on ground truth: tests/fixtures/shapes-sample/.
Run with Debian's python (numpy + PIL): /usr/bin/python3 scripts/reference/shapes_sample.py"""
import json, os, sys
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "training"))
from petalflow_train.data import generate  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "shapes-sample")
os.makedirs(OUT, exist_ok=True)
images, metas = generate(400, seed=2026)
index = []
for i, (img, m) in enumerate(zip(images, metas)):
    if m["relation"] or len(index) >= 96:
        continue
    name = f"{len(index):03d}.png"
    Image.fromarray(img).save(os.path.join(OUT, name), optimize=True)
    o = m["objects"][0]
    index.append(dict(file=name, bg=m["bg"], color=o["color"], shape=o["shape"], size=o["size"], pos=o["pos"]))
with open(os.path.join(OUT, "index.json"), "w") as f:
    json.dump(index, f, indent=1)
print(f"wrote {len(index)} images to {OUT}")
