"""Reference for ComfyUI's KSampler maths, written from ComfyUI's published source (numpy only, no torch).

- comfy/model_sampling.py ModelSamplingDiscrete + EPS: the σ table from SD's β schedule (float64 cumprod,
  stored float32), timestep(σ) = argmin |log σ − log σ_t|, σ(t) log-linear, input x/√(σ²+1),
  denoised x − ε·σ, starting noise ε·√(1+σ²) at max denoise (σ_0 ≈ σ_max) else ε·σ_0, plus the latent.
- comfy/samplers.py: normal_scheduler, simple_scheduler, ddim_scheduler (ddim_uniform), sgm_uniform;
  k_diffusion get_sigmas_karras / get_sigmas_exponential. KSampler's denoise < 1: the last steps + 1 σ of
  an int(steps/denoise)-step ladder. Sampler "ddim" is k-diffusion's Euler (ksampler("euler")).
- comfy/k_diffusion/sampling.py: sample_euler (s_churn 0), sample_euler_ancestral (η 1, s_noise 1;
  no noise on the last step), sample_dpmpp_2m, sample_heun.
The U-Net is a deterministic, nonlinear stand-in ε(x_in, t); the starting noise and the ancestral
per-step noise come from the counter hash of diffusers_schedulers.py and are stored in the fixture, so
the TypeScript test feeds Petalflow's sampler the very same numbers (ComfyUI on the CPU draws the per-step
noise from torch.Generator(seed + 1), which is Petalflow's rule for batch 1; see README).

Run:  python3 scripts/reference/comfy_samplers.py   → tests/fixtures/comfy-reference.json
"""

import json
import math
import os

import numpy as np

from diffusers_schedulers import HashNoise

N = 64  # latent [1, 4, 4, 4]
f32 = np.float32


class ModelSamplingDiscrete:
    def __init__(self, linear_start=0.00085, linear_end=0.012, timesteps=1000):
        betas = np.linspace(linear_start**0.5, linear_end**0.5, timesteps, dtype=np.float64) ** 2
        alphas_cumprod = np.cumprod(1.0 - betas)
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        self.sigmas = sigmas.astype(f32)
        self.log_sigmas = np.log(sigmas).astype(f32)

    @property
    def sigma_min(self):
        return self.sigmas[0]

    @property
    def sigma_max(self):
        return self.sigmas[-1]

    def timestep(self, sigma):
        dists = f32(np.log(f32(sigma))) - self.log_sigmas
        return int(np.abs(dists).argmin())

    def sigma(self, t):
        t = min(max(float(t), 0.0), len(self.sigmas) - 1)
        lo, hi = math.floor(t), math.ceil(t)
        w = f32(t - lo)
        return f32(np.exp(f32((1 - w) * self.log_sigmas[lo] + w * self.log_sigmas[hi])))


def linspace32(a, b, n):
    return np.linspace(a, b, n, dtype=np.float64).astype(f32)


def schedule(ms, name, steps):
    T = len(ms.sigmas)
    if name in ("normal", "sgm_uniform"):
        start, end = ms.timestep(ms.sigma_max), ms.timestep(ms.sigma_min)
        ts = linspace32(start, end, steps + 1)[:-1] if name == "sgm_uniform" else linspace32(start, end, steps)
        return [float(ms.sigma(t)) for t in ts] + [0.0]
    if name == "karras":
        rho = 7.0
        ramp = linspace32(0, 1, steps)
        lo, hi = float(ms.sigma_min) ** (1 / rho), float(ms.sigma_max) ** (1 / rho)
        return [float(v) for v in ((hi + ramp * (lo - hi)) ** rho).astype(f32)] + [0.0]
    if name == "exponential":
        return [float(v) for v in np.exp(linspace32(math.log(ms.sigma_max), math.log(ms.sigma_min), steps))] + [0.0]
    if name == "simple":
        ss = T / steps
        return [float(ms.sigmas[-(1 + int(x * ss))]) for x in range(steps)] + [0.0]
    if name == "ddim_uniform":
        ss = max(T // steps, 1)
        sigs = [float(ms.sigmas[x]) for x in range(1, T, ss)]
        return sigs[::-1] + [0.0]
    raise ValueError(name)


def stand_in_eps(x_in, t):
    """A nonlinear stand-in U-Net: ε(x_in, t). Mirrored in tests/unit/comfy-reference.test.ts."""
    k = np.arange(len(x_in))
    return np.tanh(x_in) * (0.6 + 0.4 * t / 1000.0) + 0.1 * np.sin(k * 0.37 + t / 100.0)


def denoiser(ms):
    calls = []

    def model(x, sigma):
        t = ms.timestep(sigma)
        calls.append((float(sigma), t))
        eps = stand_in_eps(x / math.sqrt(sigma * sigma + 1.0), t)
        return x - eps * sigma

    return model, calls


def sample_euler(model, x, sigmas, noise):
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        d = (x - denoised) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def sample_euler_ancestral(model, x, sigmas, noise):
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        s, sn = sigmas[i], sigmas[i + 1]
        sigma_up = min(sn, (sn**2 * (s**2 - sn**2) / s**2) ** 0.5)
        sigma_down = (sn**2 - sigma_up**2) ** 0.5
        d = (x - denoised) / s
        x = x + d * (sigma_down - s)
        if sn > 0:
            x = x + noise[i] * sigma_up
    return x


def sample_dpmpp_2m(model, x, sigmas, noise):
    t_fn = lambda s: -math.log(s)  # noqa: E731
    old = None
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        if sigmas[i + 1] == 0:
            x = denoised  # (σ_next/σ)·x − expm1(−∞)·D
        else:
            t, tn = t_fn(sigmas[i]), t_fn(sigmas[i + 1])
            h = tn - t
            if old is None:
                x = (sigmas[i + 1] / sigmas[i]) * x - math.expm1(-h) * denoised
            else:
                r = (t - t_fn(sigmas[i - 1])) / h
                dd = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
                x = (sigmas[i + 1] / sigmas[i]) * x - math.expm1(-h) * dd
        old = denoised
    return x


def sample_heun(model, x, sigmas, noise):
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i])
        d = (x - denoised) / sigmas[i]
        dt = sigmas[i + 1] - sigmas[i]
        if sigmas[i + 1] == 0:
            x = x + d * dt
        else:
            x2 = x + d * dt
            d2 = (x2 - model(x2, sigmas[i + 1])) / sigmas[i + 1]
            x = x + (d + d2) / 2 * dt
    return x


SAMPLERS = {
    "euler": sample_euler,
    "euler_ancestral": sample_euler_ancestral,
    "dpmpp_2m": sample_dpmpp_2m,
    "heun": sample_heun,
    "ddim": sample_euler,  # comfy/samplers.py: ddim → ksampler("euler")
}

CASES = [
    ("euler", "normal", 10, 1.0),
    ("euler_ancestral", "karras", 10, 1.0),
    ("dpmpp_2m", "karras", 12, 1.0),
    ("ddim", "ddim_uniform", 10, 1.0),
    ("ddim", "ddim_uniform", 7, 1.0),  # ComfyUI's ddim_uniform gives 8 steps here
    ("euler", "simple", 9, 1.0),
    ("euler", "sgm_uniform", 8, 1.0),
    ("dpmpp_2m", "exponential", 10, 1.0),
    ("heun", "normal", 6, 1.0),
    ("euler", "normal", 10, 0.6),  # img2img: KSampler denoise 0.6
    ("dpmpp_2m", "karras", 20, 0.5),
]


def run(ms, sampler, sched, steps, denoise, seed):
    total = steps if denoise >= 1 else int(steps / denoise)
    sigmas = schedule(ms, sched, total)
    if denoise < 1:
        sigmas = sigmas[-(steps + 1) :]
    noise = HashNoise(seed).randn(N)
    latent = 0.5 * np.cos(np.arange(N) * 0.7) if denoise < 1 else np.zeros(N)
    s0 = sigmas[0]
    max_denoise = math.isclose(float(ms.sigma_max), s0, rel_tol=1e-5) or s0 > float(ms.sigma_max)
    x = latent + noise * (math.sqrt(1.0 + s0 * s0) if max_denoise else s0)
    step_noise = [HashNoise(seed + 1000 + i).randn(N) for i in range(len(sigmas) - 1)]
    model, calls = denoiser(ms)
    out = SAMPLERS[sampler](model, x, sigmas, step_noise)
    g = lambda a: [float(f"{v:.9g}") for v in a]  # noqa: E731
    return {
        "sampler": sampler,
        "scheduler": sched,
        "steps": steps,
        "denoise": denoise,
        "scheduleSteps": total,
        "sigmas": g(sigmas),
        "calls": [[float(f"{s:.9g}"), t] for s, t in calls],
        "latent": g(latent),
        "noise": g(noise),
        "stepNoise": [g(n) for n in step_noise],
        "final": g(out),
    }


def run_split(ms, sampler, sched, steps, split, seed):
    """Two KSamplerAdvanced: [0, split) with add_noise and return_with_leftover_noise, then [split, end)
    without adding noise (nodes.py common_ksampler: sigmas[start:end + 1]; the second call starts a fresh
    sampler, so DPM++ 2M's history restarts there, as it does in ComfyUI)."""
    sigmas = schedule(ms, sched, steps)
    noise = HashNoise(seed).randn(N)
    x = noise * math.sqrt(1.0 + sigmas[0] ** 2)
    model, calls = denoiser(ms)
    step_noise = [HashNoise(seed + 1000 + i).randn(N) for i in range(steps)]
    x = SAMPLERS[sampler](model, x, sigmas[: split + 1], step_noise[:split])
    x = SAMPLERS[sampler](model, x, sigmas[split:], step_noise[split:])
    g = lambda a: [float(f"{v:.9g}") for v in a]  # noqa: E731
    return {
        "sampler": sampler,
        "scheduler": sched,
        "steps": steps,
        "split": split,
        "calls": [[float(f"{s:.9g}"), t] for s, t in calls],
        "noise": g(noise),
        "stepNoise": [g(n) for n in step_noise],
        "final": g(x),
    }


SPLITS = [("dpmpp_2m", "karras", 12, 5), ("euler_ancestral", "normal", 10, 6), ("euler", "normal", 20, 12)]


def main():
    ms = ModelSamplingDiscrete()
    cases = [run(ms, *c, seed=11 + i) for i, c in enumerate(CASES)]
    splits = [run_split(ms, *c, seed=51 + i) for i, c in enumerate(SPLITS)]
    out = os.path.join(os.path.dirname(__file__), "../../tests/fixtures/comfy-reference.json")
    with open(out, "w") as f:
        json.dump({"model": "SD 1.5 discrete (β 0.00085…0.012, T 1000)", "cases": cases, "splits": splits}, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["sampler"], c["scheduler"], c["steps"], c["denoise"], "σ0", c["sigmas"][0], "steps", len(c["sigmas"]) - 1)


if __name__ == "__main__":
    main()
