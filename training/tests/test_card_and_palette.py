"""The model card renders from partial records, and the TypeScript test judge knows the training palette."""
import os
import re
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from petalflow_train import data
except ImportError:  # numpy / PIL missing
    data = None
try:
    import torch  # noqa: F401

    from petalflow_train import card
except ImportError:
    card = None


@unittest.skipIf(data is None, "needs python3-numpy and python3-pil")
class PaletteTest(unittest.TestCase):
    def test_typescript_judge_palette_is_the_training_palette(self):
        with open(os.path.join(REPO, "tests", "helpers", "judge.ts")) as f:
            ts = f.read()
        block = ts[ts.index("PALETTE"):ts.index("};", ts.index("PALETTE"))]
        palette = {m[0]: tuple(int(v) for v in m[1:]) for m in re.findall(r"(\w+): \[(\d+), (\d+), (\d+)\]", block)}
        self.assertEqual(palette, data.COLORS)


@unittest.skipIf(card is None, "needs Debian's python3-torch")
class CardTest(unittest.TestCase):
    def test_every_section_renders_without_records(self):
        text = card.render(card.gather({}))
        for heading in ("# petalflow-shapes", "## Folder layout", "## Data", "## Architecture", "## Training",
                        "## Evaluation", "## Limits", "## Licence", "## Retraining"):
            self.assertIn(heading, text)
        self.assertNotIn("ONNX check", text)  # no onnxruntime record, no section

    def test_sections_state_the_records(self):
        ortp = dict(runtime="onnxruntime 1.x", max_abs_output_diff={"unet": 2e-6}, prompt="a red circle",
                    ms_median=123.0, judged=dict(color="red", shape="circle", bg="white", position="centre"),
                    max_abs_pixel_diff_vs_torch=1.0)
        records = dict(exp=dict(params={"unet": 1000, "vae_decoder": 234}), ev=dict(summary=dict(onnxruntime_pipeline=ortp)))
        text = card.render(card.gather(records))
        self.assertIn("| **total** | **1,234** |", text)
        self.assertIn("takes **123 ms**", text)


if __name__ == "__main__":
    unittest.main()
