"""Shared paths, settings, seeding and the noise schedule.

Every stage reads its sizes from `settings()`: one typed record (settings.py), a profile ("full" by
default, "smoke" for a quick end-to-end check) with checked PF_* overrides, so a later session can train
longer by raising a step count and simply rerunning train.sh.
"""
import json
import os
import random
import sys
import time

import numpy as np
import torch

from .settings import PROFILES, REPO_DIR, TRAINING_DIR, Settings, SettingsError, load_settings  # noqa: F401



def _load():
    try:
        return load_settings()
    except SettingsError as e:
        sys.exit(f"training settings: {e}")


_SETTINGS = _load()
WORK_DIR = _SETTINGS.work
MODEL_DIR = _SETTINGS.model_dir


def settings() -> Settings:
    """This run's settings (read once, at import, from the profile and PF_* overrides)."""
    return _SETTINGS


def setup_threads():
    # Two cores: one BLAS thread per torch thread, or they oversubscribe and halve speed.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    torch.set_num_threads(_SETTINGS.threads)
    torch.set_num_interop_threads(1) if not getattr(setup_threads, "_done", False) else None
    setup_threads._done = True


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def step_generator(seed, stage, step):
    """A generator that depends only on (seed, stage, step): resuming replays the same batches."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + stage * 7919 + step) % (2**63))
    return g


def work_path(*parts):
    p = os.path.join(WORK_DIR, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def save_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def load_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def atomic_torch_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)  # never leave a half-written checkpoint behind


# --- noise schedule (diffusers' scaled_linear, T = 1000) -------------------------------------
# One schedule for training, evaluation and the TypeScript side's checks: scripts/reference/
# diffusers_schedulers.py, the independent numpy port of diffusers that core/schedulers is tested against.
sys.path.insert(0, os.path.join(REPO_DIR, "scripts", "reference"))
import diffusers_schedulers as reference  # noqa: E402

SCHEDULE = dict(reference.BASE)  # sd15: scaled_linear β 0.00085→0.012, leading spacing, steps_offset 1


def alphas_cumprod(T=SCHEDULE["num_train_timesteps"]):
    assert T == SCHEDULE["num_train_timesteps"], "the demo model is trained with T = 1000"
    return torch.from_numpy(reference.alphas_cumprod(SCHEDULE))  # float64


def ddim(steps):
    """diffusers' DDIM (eta 0) for this schedule, from the reference port: `.timesteps`, `.step(eps, i, x)`."""
    return reference.DDIM(SCHEDULE, steps, noise=None)
