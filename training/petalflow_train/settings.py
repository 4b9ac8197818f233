"""The training run's settings: one typed record, read once from a profile plus PF_* overrides.

Standard library only (the tests import it without torch). A bad override stops the run at start with
the variable's name and what was expected, instead of failing an hour later inside a stage.
"""
import os
import re
from dataclasses import dataclass, fields, replace

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TRAINING_DIR)


@dataclass(frozen=True)
class Settings:
    profile: str
    # sizes (profile defaults; each overridable as PF_<NAME>)
    n_images: int
    vae_steps: int
    vae_batch: int
    unet_steps: int
    unet_batch: int
    eval_seeds: int
    judge_val: int
    seed: int = 1234
    ckpt_every_s: float = 180.0  # checkpoint cadence in seconds of wall time (the step is what resumes)
    threads: int = 2
    unet_deadline: str | None = None  # "HH:MM" UTC or a Unix time: the U-Net stage stops there, then export runs
    work: str = os.path.join(TRAINING_DIR, "work")
    model_dir: str = os.path.join(REPO_DIR, "models", "petalflow-shapes")


PROFILES = {
    # Sized for ~1h45 of a shared 2-core CPU (see training/README.md).
    "full": dict(n_images=30000, vae_steps=2000, vae_batch=32, unet_steps=16000, unet_batch=64,
                 eval_seeds=4, judge_val=600),
    # Minutes: proves every stage runs and the export loads.
    "smoke": dict(n_images=1200, vae_steps=60, vae_batch=16, unet_steps=60, unet_batch=32,
                  eval_seeds=2, judge_val=200),
}


class SettingsError(ValueError):
    pass


def _parse(name, kind, text):
    var = "PF_" + name.upper()
    try:
        if kind is int:
            value = int(text)
            if value < (0 if name == "seed" else 1):
                raise ValueError
            return value
        if kind is float:
            value = float(text)
            if not value > 0:
                raise ValueError
            return value
    except ValueError:
        what = "a non-negative integer" if name == "seed" else ("a positive integer" if kind is int else "a positive number")
        raise SettingsError(f"{var} must be {what}, got {text!r}") from None
    if name == "unet_deadline":
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d|\d+(\.\d+)?", text):
            raise SettingsError(f"{var} must be a UTC time HH:MM or a Unix time, got {text!r}")
        return text
    if not text:
        raise SettingsError(f"{var} must not be empty")
    return os.path.abspath(text)


def load_settings(env=None):
    """The profile named by PF_PROFILE ("full" unless set), with every PF_<FIELD> applied and checked."""
    env = os.environ if env is None else env
    profile = env.get("PF_PROFILE", "full")
    if profile not in PROFILES:
        raise SettingsError(f"PF_PROFILE must be one of {', '.join(PROFILES)}, got {profile!r}")
    s = Settings(profile=profile, **PROFILES[profile])
    overrides = {}
    for f in fields(Settings):
        text = env.get("PF_" + f.name.upper())
        if f.name == "profile" or text is None:
            continue
        kind = type(getattr(s, f.name)) if getattr(s, f.name) is not None else str
        overrides[f.name] = _parse(f.name, kind, text)
    known = {"PF_" + f.name.upper() for f in fields(Settings)}
    unknown = sorted(k for k in env if k.startswith("PF_") and k not in known)
    if unknown:
        raise SettingsError(f"unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return replace(s, **overrides)
