"""Shared paths, settings, seeding and the noise schedule.

Every stage reads its sizes from `settings()`, which layers environment
overrides (PF_*) on top of a profile ("full" by default, "smoke" for a quick
end-to-end check), so a later session can train longer by raising a step count
and simply rerunning train.sh.
"""
import json
import os
import random
import time

import numpy as np
import torch

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TRAINING_DIR)
WORK_DIR = os.environ.get("PF_WORK", os.path.join(TRAINING_DIR, "work"))
MODEL_DIR = os.environ.get("PF_MODEL_DIR", os.path.join(REPO_DIR, "models", "petalflow-shapes"))

PROFILES = {
    # Sized for ~1h45 of a shared 2-core CPU (see training/README.md).
    "full": dict(n_images=30000, vae_steps=2000, vae_batch=32, unet_steps=16000, unet_batch=64,
                 eval_seeds=4, judge_val=600),
    # Minutes: proves every stage runs and the export loads.
    "smoke": dict(n_images=1200, vae_steps=60, vae_batch=16, unet_steps=60, unet_batch=32,
                  eval_seeds=2, judge_val=200),
}


def settings():
    profile = os.environ.get("PF_PROFILE", "full")
    s = dict(PROFILES[profile])
    s["profile"] = profile
    s["seed"] = int(os.environ.get("PF_SEED", "1234"))
    for key in list(s):
        env = os.environ.get("PF_" + key.upper())
        if env is not None and key not in ("profile",):
            s[key] = type(s[key])(env)
    # Checkpoint cadence in seconds of wall time (the step is what resumes).
    s["ckpt_every_s"] = float(os.environ.get("PF_CKPT_EVERY_S", "180"))
    return s


def setup_threads():
    # Two cores: one BLAS thread per torch thread, or they oversubscribe and halve speed.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    torch.set_num_threads(int(os.environ.get("PF_THREADS", "2")))
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
SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")


def alphas_cumprod(T=SCHEDULE["num_train_timesteps"]):
    betas = torch.linspace(SCHEDULE["beta_start"] ** 0.5, SCHEDULE["beta_end"] ** 0.5, T, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)
