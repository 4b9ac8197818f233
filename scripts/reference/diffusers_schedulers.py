"""An independent numpy reimplementation of diffusers' scheduler maths, for checking core/schedulers.

Run with Debian's Python 3 + numpy (no torch needed):  python3 scripts/reference/diffusers_schedulers.py
Writes tests/fixtures/diffusers-reference.json.

Written from diffusers' published scheduler sources (scheduling_ddim.py, scheduling_ddpm.py,
scheduling_pndm.py with skip_prk_steps, scheduling_euler_discrete.py,
scheduling_euler_ancestral_discrete.py, scheduling_heun_discrete.py, scheduling_lms_discrete.py,
scheduling_dpmsolver_multistep.py with solver_order 2, dpmsolver++, midpoint, final_sigmas_type "zero",
scheduling_lcm.py), in diffusers' own structure and sample spaces: every scheduler keeps its
`set_timesteps`, `init_noise_sigma`, `scale_model_input` and `step(model_output, timestep, sample)`, and
DPM-Solver steps variance-preserving samples, as diffusers does (the TypeScript port steps it in σ form).
Nothing here imports or mirrors core/schedulers; where diffusers itself fails (e.g. leading spacing
with steps_offset 1 at n = T) no case is generated.

Each case runs a pipeline-style loop:
    x = x_T * init_noise_sigma
    for t in timesteps: x = step(model(scale_model_input(x, t), t), t, x)
with x_T a fixed deterministic 64-value sample, two models ("linear": diffusers' dummy model
x * t / (t + 1); "nonlinear": 0.8 * sin(3x + t / 250) + 0.2x), and, for the stochastic schedulers, noise
from `HashNoise` (a counter-based hash + Box-Muller, reproduced bit for bit in
scripts/reference/hash-noise.ts) instead of torch's generator, so that no torch is needed.
Arithmetic is float64 (diffusers runs float32: the port and diffusers then differ by float32 rounding,
≲ 1e-6 on these values). The final sample is stored with 9 significant digits.
"""

import json
import math
import os

import numpy as np

N = 64
X_T = np.array([((k * 37) % N) / (N / 2) - 1.0 for k in range(N)])


# ---------------------------------------------------------------- noise -------------------------------


def lowbias32(x):
    x = np.asarray(x, dtype=np.uint64) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


class HashNoise:
    """randn(n): normals from a counter; each normal uses uniforms c and c + 1 (Box-Muller, cosine)."""

    def __init__(self, seed=0):
        self.counter = seed * 0x9E3779B9 & 0xFFFFFFFF

    def randn(self, n):
        c = (self.counter + 2 * np.arange(n, dtype=np.uint64)) & 0xFFFFFFFF
        self.counter = (self.counter + 2 * n) & 0xFFFFFFFF
        u1 = (lowbias32(c).astype(np.float64) + 0.5) / 4294967296.0
        u2 = (lowbias32((c + 1) & 0xFFFFFFFF).astype(np.float64) + 0.5) / 4294967296.0
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


# ---------------------------------------------------------------- schedule ----------------------------


def betas_for(c):
    T = c["num_train_timesteps"]
    if c["beta_schedule"] == "linear":
        return np.linspace(c["beta_start"], c["beta_end"], T)
    if c["beta_schedule"] == "scaled_linear":
        return np.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, T) ** 2
    # betas_for_alpha_bar(T, alpha_transform_type="cosine"), max_beta 0.999
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    return np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])


def alphas_cumprod(c):
    return np.cumprod(1.0 - betas_for(c))


def spaced_int(c, n):
    """DDIM/DDPM/PNDM set_timesteps: integer timesteps, descending."""
    T, sp = c["num_train_timesteps"], c["timestep_spacing"]
    if sp == "linspace":
        return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    if sp == "leading":
        r = T // n
        return (np.arange(0, n) * r).round()[::-1].copy().astype(np.int64) + c["steps_offset"]
    r = T / n
    return np.round(np.arange(T, 0, -r)).astype(np.int64) - 1


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low, high = log_sigmas[low_idx], log_sigmas[high_idx]
    w = np.clip((low - log_sigma) / (low - high), 0, 1)
    return ((1 - w) * low_idx + w * high_idx).reshape(np.shape(sigma))


def to_karras(sigma_min, sigma_max, n, rho=7.0):
    ramp = np.linspace(0, 1, n)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def x0_eps_vp(c, out, x, a_t):
    """DDIM/DDPM's "predicted x0" and ε for the prediction type; x0 clipped when the config asks."""
    b_t = 1 - a_t
    p = c["prediction_type"]
    if p == "epsilon":
        x0, eps = (x - b_t**0.5 * out) / a_t**0.5, out
    elif p == "sample":
        x0 = out
        eps = (x - a_t**0.5 * x0) / b_t**0.5
    else:
        x0 = a_t**0.5 * x - b_t**0.5 * out
        eps = a_t**0.5 * out + b_t**0.5 * x
    if c["clip_sample"]:
        x0 = np.clip(x0, -c["clip_sample_range"], c["clip_sample_range"])
    return x0, eps


# ---------------------------------------------------------------- schedulers --------------------------


class DDIM:
    def __init__(self, c, n, noise):
        self.c, self.n, self.noise = c, n, noise
        self.ac = alphas_cumprod(c)
        self.final = 1.0 if c["set_alpha_to_one"] else self.ac[0]
        self.timesteps = spaced_int(c, n)
        self.init_noise_sigma = 1.0

    def scale_model_input(self, x, i):
        return x

    def step(self, out, i, x):
        t = self.timesteps[i]
        prev = t - self.c["num_train_timesteps"] // self.n
        a_t = self.ac[t]
        a_p = self.ac[prev] if prev >= 0 else self.final
        x0, eps = x0_eps_vp(self.c, out, x, a_t)
        var = (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
        std = self.c["eta"] * var**0.5
        x_new = a_p**0.5 * x0 + (1 - a_p - std**2) ** 0.5 * eps
        if self.c["eta"] > 0:
            x_new = x_new + std * self.noise.randn(len(x))
        return x_new


class DDPM(DDIM):
    def step(self, out, i, x):
        t = self.timesteps[i]
        # previous_timestep(): the next listed timestep (or -1 at the end) once num_inference_steps is set
        prev = self.timesteps[i + 1] if i + 1 < len(self.timesteps) else -1
        a_t = self.ac[t]
        a_p = self.ac[prev] if prev >= 0 else 1.0
        cur_a = a_t / a_p
        cur_b = 1 - cur_a
        x0, _ = x0_eps_vp(self.c, out, x, a_t)
        mean = (a_p**0.5 * cur_b / (1 - a_t)) * x0 + (cur_a**0.5 * (1 - a_p) / (1 - a_t)) * x
        if t > 0:
            var = max((1 - a_p) / (1 - a_t) * cur_b, 1e-20)  # variance_type "fixed_small"
            mean = mean + var**0.5 * self.noise.randn(len(x))
        return mean


class PNDM:
    """PNDMScheduler, skip_prk_steps=True: step_plms with its counter, ets and cur_sample."""

    def __init__(self, c, n, noise):
        self.c, self.n = c, n
        self.ac = alphas_cumprod(c)
        self.final = 1.0 if c["set_alpha_to_one"] else self.ac[0]
        T, sp = c["num_train_timesteps"], c["timestep_spacing"]
        if sp == "linspace":
            asc = np.linspace(0, T - 1, n).round().astype(np.int64)
        elif sp == "leading":
            asc = (np.arange(0, n) * (T // n)).round().astype(np.int64) + c["steps_offset"]
        else:
            asc = np.round(np.arange(T, 0, -T / n))[::-1].astype(np.int64) - 1
        self.timesteps = np.concatenate([asc[:-1], asc[-2:-1], asc[-1:]])[::-1].copy()
        self.ets, self.counter, self.cur_sample = [], 0, None
        self.init_noise_sigma = 1.0

    def scale_model_input(self, x, i):
        return x

    def prev_sample(self, x, t, prev, out):
        a_t = self.ac[t]
        a_p = self.ac[prev] if prev >= 0 else self.final
        b_t, b_p = 1 - a_t, 1 - a_p
        if self.c["prediction_type"] == "v_prediction":
            out = a_t**0.5 * out + b_t**0.5 * x
        coeff = (a_p / a_t) ** 0.5
        denom = a_t * b_p**0.5 + (a_t * b_t * a_p) ** 0.5
        return coeff * x - (a_p - a_t) * out / denom

    def step(self, out, i, x):
        t = self.timesteps[i]
        r = self.c["num_train_timesteps"] // self.n
        prev = t - r
        if self.counter != 1:
            self.ets = self.ets[-3:]
            self.ets.append(out)
        else:
            prev, t = t, t + r
        if len(self.ets) == 1 and self.counter == 0:
            self.cur_sample = x
        elif len(self.ets) == 1 and self.counter == 1:
            out = (out + self.ets[-1]) / 2
            x, self.cur_sample = self.cur_sample, None
        elif len(self.ets) == 2:
            out = (3 * self.ets[-1] - self.ets[-2]) / 2
        elif len(self.ets) == 3:
            out = (23 * self.ets[-1] - 16 * self.ets[-2] + 5 * self.ets[-3]) / 12
        else:
            out = (1 / 24) * (55 * self.ets[-1] - 59 * self.ets[-2] + 37 * self.ets[-3] - 9 * self.ets[-4])
        self.counter += 1
        return self.prev_sample(x, t, prev, out)


def euler_ladder(c, n):
    """EulerDiscreteScheduler.set_timesteps (interpolation "linear", final sigma 0)."""
    T, sp = c["num_train_timesteps"], c["timestep_spacing"]
    if sp == "linspace":
        ts = np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy().astype(np.float64)
    elif sp == "leading":
        ts = (np.arange(0, n) * (T // n)).round()[::-1].copy().astype(np.float64) + c["steps_offset"]
    else:
        ts = np.arange(T, 0, -T / n).round().astype(np.float64) - 1
    ac = alphas_cumprod(c)
    train = ((1 - ac) / ac) ** 0.5
    sig = np.interp(ts, np.arange(0, len(train)), train)
    if c["use_karras_sigmas"]:
        sig = to_karras(sig[-1], sig[0], n)
        ts = np.array([float(sigma_to_t(s, np.log(train))) for s in sig])
    return ts, np.concatenate([sig, [0.0]])


def x0_from_sigma(c, out, x, s):
    p = c["prediction_type"]
    if p == "epsilon":
        return x - s * out
    if p == "v_prediction":
        return out * (-s / (s**2 + 1) ** 0.5) + x / (s**2 + 1)
    return out


class Euler:
    def __init__(self, c, n, noise):
        self.c, self.noise = c, noise
        self.timesteps, self.sigmas = euler_ladder(c, n)
        m = self.sigmas.max()
        self.init_noise_sigma = m if c["timestep_spacing"] in ("linspace", "trailing") else (m**2 + 1) ** 0.5

    def scale_model_input(self, x, i):
        return x / (self.sigmas[i] ** 2 + 1) ** 0.5

    def step(self, out, i, x):
        s, s_next = self.sigmas[i], self.sigmas[i + 1]
        x0 = x0_from_sigma(self.c, out, x, s)
        return x + (x - x0) / s * (s_next - s)


class EulerAncestral(Euler):
    def step(self, out, i, x):
        s, s_next = self.sigmas[i], self.sigmas[i + 1]
        x0 = x0_from_sigma(self.c, out, x, s)
        up = (s_next**2 * (s**2 - s_next**2) / s**2) ** 0.5
        down = (s_next**2 - up**2) ** 0.5
        x = x + (x - x0) / s * (down - s)
        return x + self.noise.randn(len(x)) * up


class Heun(Euler):
    def __init__(self, c, n, noise):
        super().__init__(c, n, noise)
        ts, sig = self.timesteps, self.sigmas
        self.sigmas = np.concatenate([sig[:1], np.repeat(sig[1:-1], 2), sig[-1:]])
        self.timesteps = np.concatenate([ts[:1], np.repeat(ts[1:], 2)])
        self.dt = None

    def step(self, out, i, x):
        first = self.dt is None
        if first:
            s, s_next = self.sigmas[i], self.sigmas[i + 1]
        else:
            s, s_next = self.sigmas[i - 1], self.sigmas[i]
        s_in = s if first else s_next
        x0 = x0_from_sigma(self.c, out, x, s_in)
        if first:
            d = (x - x0) / s
            self.prev_d, self.dt, self.sample = d, s_next - s, x
            return x + d * self.dt
        d = ((x - x0) / s_next + self.prev_d) / 2
        x_new = self.sample + d * self.dt
        self.prev_d, self.dt, self.sample = None, None, None
        return x_new


class LMS(Euler):
    order = 4

    def __init__(self, c, n, noise):
        super().__init__(c, n, noise)
        self.ders = []

    def coeff(self, order, i, j):
        # ∫_{σ_i}^{σ_{i+1}} Π_{k≠j} (τ − σ_{i−k}) / (σ_{i−j} − σ_{i−k}) dτ, integrated exactly (diffusers: scipy quad)
        poly = np.poly1d([1.0])
        for k in range(order):
            if k != j:
                poly = poly * np.poly1d([1.0, -self.sigmas[i - k]]) / (self.sigmas[i - j] - self.sigmas[i - k])
        integ = poly.integ()
        return integ(self.sigmas[i + 1]) - integ(self.sigmas[i])

    def step(self, out, i, x):
        s = self.sigmas[i]
        x0 = x0_from_sigma(self.c, out, x, s)
        self.ders.append((x - x0) / s)
        if len(self.ders) > self.order:
            self.ders.pop(0)
        order = min(i + 1, self.order)
        coeffs = [self.coeff(order, i, j) for j in range(order)]
        return x + sum(cf * d for cf, d in zip(coeffs, reversed(self.ders)))


class DPMSolverPP2M:
    """DPMSolverMultistepScheduler: solver_order 2, dpmsolver++, midpoint, final_sigmas_type "zero"."""

    def __init__(self, c, n, noise):
        self.c = c
        T, sp = c["num_train_timesteps"], c["timestep_spacing"]
        last = T  # lambda_min_clipped = -inf
        if sp == "linspace":
            ts = np.linspace(0, last - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif sp == "leading":
            r = last // (n + 1)
            ts = (np.arange(0, n + 1) * r).round()[::-1][:-1].copy().astype(np.int64) + c["steps_offset"]
        else:
            ts = np.arange(last, 0, -T / n).round().copy().astype(np.int64) - 1
        ac = alphas_cumprod(c)
        sig = np.array(((1 - ac) / ac) ** 0.5)
        log_sig = np.log(sig)
        if c["use_karras_sigmas"]:
            sig = to_karras(sig[0], sig[-1], n)
            ts = np.array([float(sigma_to_t(s, log_sig)) for s in sig])
            if c["beta_schedule"] != "squaredcos_cap_v2":
                ts = ts.round()
            ts = ts.astype(np.int64)  # torch .to(int64): truncation for what was left fractional
        else:
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
        self.sigmas = np.concatenate([sig, [0.0]])
        self.timesteps = ts
        self.outputs = []
        self.lower_order_nums = 0
        self.init_noise_sigma = 1.0

    @staticmethod
    def alpha_sigma(s):
        a = 1 / (s**2 + 1) ** 0.5
        return a, s * a

    def scale_model_input(self, x, i):
        return x

    def step(self, out, i, x):
        c = self.c
        a_s, s_s = self.alpha_sigma(self.sigmas[i])
        p = c["prediction_type"]
        if p == "epsilon":
            m = (x - s_s * out) / a_s
        elif p == "v_prediction":
            m = a_s * x - s_s * out
        else:
            m = out
        self.outputs = (self.outputs + [m])[-2:]
        last = i == len(self.timesteps) - 1  # final_sigmas_type "zero" forces lower_order_final
        a_t, s_t = self.alpha_sigma(self.sigmas[i + 1])
        lam = lambda a, s: np.log(a) - np.log(s) if s > 0 else np.inf  # noqa: E731
        h = lam(a_t, s_t) - lam(a_s, s_s)
        em1 = np.expm1(-h) if np.isfinite(h) else -1.0  # exp(-h) - 1
        if self.lower_order_nums < 1 or last:
            x_new = (s_t / s_s) * x - (a_t * em1) * m
        else:
            a_p, s_p = self.alpha_sigma(self.sigmas[i - 1])
            r0 = (lam(a_s, s_s) - lam(a_p, s_p)) / h
            d1 = (1.0 / r0) * (self.outputs[-1] - self.outputs[-2])
            x_new = (s_t / s_s) * x - (a_t * em1) * self.outputs[-1] - 0.5 * (a_t * em1) * d1
        if self.lower_order_nums < 2:
            self.lower_order_nums += 1
        return x_new


class LCM:
    def __init__(self, c, n, noise):
        self.c, self.noise = c, noise
        self.ac = alphas_cumprod(c)
        T, orig = c["num_train_timesteps"], c["original_inference_steps"]
        origin = (np.asarray(list(range(1, orig + 1))) * (T // orig) - 1)[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
        self.timesteps = origin[idx]
        self.init_noise_sigma = 1.0

    def scale_model_input(self, x, i):
        return x

    def step(self, out, i, x):
        t = self.timesteps[i]
        st = t * 10.0
        c_skip, c_out = 0.25 / (st**2 + 0.25), st / (st**2 + 0.25) ** 0.5
        x0, _ = x0_eps_vp(self.c, out, x, self.ac[t])
        den = c_out * x0 + c_skip * x
        if i == len(self.timesteps) - 1:
            return den
        a_p = self.ac[self.timesteps[i + 1]]
        return a_p**0.5 * den + (1 - a_p) ** 0.5 * self.noise.randn(len(x))


# name → (class, config overrides) as core/schedulers/index.ts names them
SCHEDULERS = {
    "ddim": (DDIM, {}),
    "ddpm": (DDPM, {}),
    "pndm": (PNDM, {}),
    "euler": (Euler, {}),
    "euler-karras": (Euler, {"use_karras_sigmas": True}),
    "euler-ancestral": (EulerAncestral, {}),
    "heun": (Heun, {}),
    "lms": (LMS, {}),
    "lms-karras": (LMS, {"use_karras_sigmas": True}),
    "dpmpp-2m": (DPMSolverPP2M, {}),
    "dpmpp-2m-karras": (DPMSolverPP2M, {"use_karras_sigmas": True}),
    "lcm": (LCM, {}),
}

BASE = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    prediction_type="epsilon",
    timestep_spacing="leading",
    steps_offset=1,
    set_alpha_to_one=False,
    clip_sample=False,
    clip_sample_range=1.0,
    use_karras_sigmas=False,
    eta=0.0,
    original_inference_steps=50,
)

CONFIGS = {
    "sd15": {},
    "linear-T2000-trailing": dict(
        num_train_timesteps=2000,
        beta_schedule="linear",
        beta_start=0.0001,
        beta_end=0.02,
        timestep_spacing="trailing",
        steps_offset=0,
    ),
    "v-prediction": dict(prediction_type="v_prediction"),
    "cosine-linspace": dict(beta_schedule="squaredcos_cap_v2", timestep_spacing="linspace", steps_offset=0),
    "cosine-linspace-v": dict(
        beta_schedule="squaredcos_cap_v2", timestep_spacing="linspace", steps_offset=0, prediction_type="v_prediction"
    ),
}

MODELS = {
    "linear": lambda x, t: x * t / (t + 1),
    "nonlinear": lambda x, t: 0.8 * np.sin(3 * x + t / 250) + 0.2 * x,
}


def run(name, config, steps, model, seed=0):
    cls, over = SCHEDULERS[name]
    c = {**config, **over}
    s = cls(c, steps, HashNoise(seed))
    x = X_T * s.init_noise_sigma
    calls = []
    for i, t in enumerate(s.timesteps):
        calls.append(float(t))
        x = s.step(model(s.scale_model_input(x, i), float(t)), i, x)
    return x, calls


def published_checks():
    """This reference against diffusers' own published full-loop numbers (tests/schedulers/test_scheduler_*.py:
    their dummy model sample * t / (t + 1), dummy_sample_deter = arange(768) / 768 permuted, 10 steps)."""
    dummy = np.arange(768) / 768.0  # sum/mean of |x| do not depend on the permutation
    lin = dict(BASE, beta_schedule="linear", beta_start=0.0001, beta_end=0.02, steps_offset=0)

    def loop(cls, c, scaled):
        s = cls(c, 10, None)
        x = dummy * s.init_noise_sigma
        for i, t in enumerate(s.timesteps):
            if scaled:  # the Euler tests keep the scaled sample as the sample
                x = s.scale_model_input(x, i)
            x = s.step(MODELS["linear"](s.scale_model_input(x, i) if not scaled else x, float(t)), i, x)
        return np.abs(x).sum(), np.abs(x).mean()

    ddim = dict(lin, clip_sample=True, set_alpha_to_one=True)
    checks = [
        ("DDIM no_noise", loop(DDIM, ddim, False), 172.0067, 0.223967),
        ("DDIM v_prediction", loop(DDIM, dict(ddim, prediction_type="v_prediction"), False), 52.5302, 0.0684),
        ("DDIM set_alpha_to_one", loop(DDIM, dict(ddim, beta_start=0.01), False), 149.8295, 0.1951),
        ("DDIM no_set_alpha_to_one", loop(DDIM, dict(ddim, beta_start=0.01, set_alpha_to_one=False), False), 149.0784, 0.1941),
    ]
    eul = dict(lin, num_train_timesteps=1100, timestep_spacing="linspace")
    checks += [
        ("Euler no_noise", loop(Euler, eul, True), 10.0807, 0.0131),
        ("Euler v_prediction", loop(Euler, dict(eul, prediction_type="v_prediction"), True), 0.0002, 2.2676e-06),
        ("Euler karras", loop(Euler, dict(eul, use_karras_sigmas=True), True), 124.52299499511719, 0.16213932633399963),
    ]
    for name, (sm, mean), want_sum, want_mean in checks:
        assert abs(sm - want_sum) < 1e-2 and abs(mean - want_mean) < 1e-3, (name, sm, mean)
    # DPMSolverMultistep's published means (0.3301, v: 0.2251) come from its legacy last step: to σ at t = 0
    # (final_sigmas_type "sigma_min") at second order (lower_order_final False). Current diffusers ends at
    # σ = 0, first order (final_sigmas_type "zero"), as core/schedulers does; the legacy step is
    # reproduced here only to check this reference's DPM-Solver maths against their numbers.
    dpm = dict(lin, timestep_spacing="linspace")
    ac = alphas_cumprod(dpm)
    for pred, want in (("epsilon", 0.3301), ("v_prediction", 0.2251)):
        s = DPMSolverPP2M(dict(dpm, prediction_type=pred), 10, None)
        s.sigmas[-1] = ((1 - ac[0]) / ac[0]) ** 0.5
        n, x = len(s.timesteps), dummy.copy()
        for i, t in enumerate(s.timesteps):
            if i == n - 1:
                s.timesteps = np.concatenate([s.timesteps, [0]])  # not "last": second order
            x = s.step(MODELS["linear"](x, float(t)), i, x)
        assert abs(np.abs(x).mean() - want) < 1e-3, ("DPM", pred, np.abs(x).mean())
    print(f"reference reproduces diffusers' published sums ({len(checks) + 2} checks)")


def main():
    published_checks()
    cases = []
    for cname, over in CONFIGS.items():
        config = {**BASE, **over}
        for name in SCHEDULERS:
            for steps in ([4] if name == "lcm" else [10, 7]):
                for mname, model in MODELS.items():
                    x, calls = run(name, config, steps, model)
                    assert np.all(np.isfinite(x)), (cname, name, steps, mname)
                    cases.append(
                        {
                            "scheduler": name,
                            "config": cname,
                            "steps": steps,
                            "model": mname,
                            "timesteps": calls,
                            "final": [float(f"{v:.9g}") for v in x],
                        }
                    )
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    path = os.path.join(root, "tests", "fixtures", "diffusers-reference.json")
    doc = {
        "generator": "scripts/reference/diffusers_schedulers.py",
        "sample": "x_T[k] = ((37k) mod 64) / 32 - 1, k < 64; x = x_T * init_noise_sigma",
        "models": {"linear": "x * t / (t + 1)", "nonlinear": "0.8 * sin(3x + t / 250) + 0.2x"},
        "noise": "HashNoise(seed 0), scripts/reference/hash-noise.ts",
        "configs": {cname: {**BASE, **over} for cname, over in CONFIGS.items()},
        "cases": cases,
    }
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
