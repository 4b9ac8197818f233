"""Golden full-loop values for core/schedulers (diffusers' test style), from an independent numpy port.

Run with Debian's Python (numpy + torch 1.13):  /usr/bin/python3 scripts/reference/scheduler_golden.py
Writes tests/fixtures/scheduler-golden.json.

Each case runs diffusers' loop with the dummy model `sample * t / (t + 1)` on the deterministic sample
`arange(768)[::-1] / 768`:
    sample = dummy * init_noise_sigma
    for i, t in enumerate(timesteps): sample = step(model(scale_model_input(sample), t), sample).prev_sample
and stores sum(|sample|), mean(|sample|), the timesteps and sigmas. The schedulers below are written
from diffusers' formulas in diffusers' own sample spaces (DPM-Solver steps vp samples here; the TS port
steps ve samples), in float64 with the sample rounded to float32 after each step. Noise for the
stochastic ones comes from one torch CPU generator seeded 0, as diffusers' tests pass it.
DDIM steps from t to t - T // n as diffusers does (it followed the port's old "next listed timestep"
until issue 11; only the linspace case changed). scripts/reference/diffusers_schedulers.py is the
torch-free, diffusers-structured reference the port is now also compared against.
"""

import json
import math
import os

import numpy as np
import torch

N = 4 * 3 * 8 * 8
DUMMY = np.arange(N)[::-1].astype(np.float64) / N

SD15 = dict(
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


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


class Gen:
    """One torch CPU generator used for every noise draw, like `generator=torch.manual_seed(0)`."""

    def __init__(self, seed=0):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, n):
        return torch.randn(n, generator=self.g).numpy().astype(np.float64)


# ---------------------------------------------------------------- schedule ----------------------------


def make_betas(c):
    T = c["num_train_timesteps"]
    if c["beta_schedule"] == "linear":
        return np.linspace(c["beta_start"], c["beta_end"], T)
    if c["beta_schedule"] == "scaled_linear":
        return np.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, T) ** 2
    ab = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    return np.array([min(1 - ab((i + 1) / T) / ab(i / T), 0.999) for i in range(T)])


def alphas_cumprod(c):
    return np.cumprod(1.0 - make_betas(c))


def spaced(c, n, kind):
    """diffusers' set_timesteps spacing; kind: ddim (int), euler (float linspace), dpm (n + 1 points)."""
    T = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    m = n + 1 if kind == "dpm" else n
    if sp == "linspace":
        ts = np.linspace(0, T - 1, m)[::-1].copy()
        if kind != "euler":
            ts = ts.round()
    elif sp == "leading":
        ratio = T // m
        ts = (np.arange(0, m) * ratio).round()[::-1].copy().astype(np.float64) + c["steps_offset"]
    else:  # trailing
        ts = np.round(np.arange(T, 0, -T / n)).astype(np.float64) - 1
        return ts
    return ts[:-1] if kind == "dpm" else ts


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low, high = log_sigmas[low_idx], log_sigmas[high_idx]
    w = np.clip((low - log_sigma) / (low - high), 0, 1)
    return ((1 - w) * low_idx + w * high_idx).reshape(np.shape(sigma))


def karras(sigma_min, sigma_max, n, rho=7.0):
    ramp = np.linspace(0, 1, n)
    return (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho


def euler_ladder(c, n):
    ac = alphas_cumprod(c)
    train = ((1 - ac) / ac) ** 0.5
    ts = spaced(c, n, "euler")
    sig = np.interp(ts, np.arange(len(train)), train)
    if c["use_karras_sigmas"]:
        sig = karras(sig[-1], sig[0], n)
        ts = np.array([float(sigma_to_t(s, np.log(train))) for s in sig])
    return ts, np.concatenate([sig, [0.0]])


def euler_init_sigma(c, sig):
    m = sig.max()
    return m if c["timestep_spacing"] in ("linspace", "trailing") else (m**2 + 1) ** 0.5


def x0_from_sigma(c, out, x, s):
    p = c["prediction_type"]
    if p == "epsilon":
        return x - s * out
    if p == "v_prediction":
        return out * (-s / (s**2 + 1) ** 0.5) + x / (s**2 + 1)
    return out


def vp_pred(c, out, x, a_t):
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


def model(x, t):
    return x * t / (t + 1)


# ---------------------------------------------------------------- algorithms --------------------------


def run_ddim(c, n, gen):
    ac = alphas_cumprod(c)
    ts = spaced(c, n, "ddim").astype(int)
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    x = DUMMY * 1.0
    for t in ts:
        a_t = ac[t]
        prev = t - c["num_train_timesteps"] // n
        a_prev = ac[prev] if prev >= 0 else final
        x0, eps = vp_pred(c, model(x, t), x, a_t)
        var = (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
        std = c["eta"] * var**0.5
        x_new = a_prev**0.5 * x0 + (1 - a_prev - std**2) ** 0.5 * eps
        if c["eta"] > 0:
            x_new = x_new + std * gen.randn(N)
        x = f32(x_new)
    sig = [((1 - ac[t]) / ac[t]) ** 0.5 for t in ts] + [((1 - final) / final) ** 0.5]
    return x, ts, sig


def run_ddpm(c, n, gen):
    ac = alphas_cumprod(c)
    ts = spaced(c, n, "ddim").astype(int)
    x = DUMMY * 1.0
    for i, t in enumerate(ts):
        a_t = ac[t]
        a_prev = ac[ts[i + 1]] if i + 1 < len(ts) else 1.0
        cur_a = a_t / a_prev
        cur_b = 1 - cur_a
        x0, _ = vp_pred(c, model(x, t), x, a_t)
        mean = (a_prev**0.5 * cur_b / (1 - a_t)) * x0 + (cur_a**0.5 * (1 - a_prev) / (1 - a_t)) * x
        if t > 0:
            var = max((1 - a_prev) / (1 - a_t) * cur_b, 1e-20)
            mean = mean + var**0.5 * gen.randn(N)
        x = f32(mean)
    return x, ts, [((1 - ac[t]) / ac[t]) ** 0.5 for t in ts] + [0.0]


def run_euler(c, n, gen, ancestral=False):
    ts, sig = euler_ladder(c, n)
    x = DUMMY * euler_init_sigma(c, sig)
    for i, t in enumerate(ts):
        s, s_next = sig[i], sig[i + 1]
        out = model(x / (s**2 + 1) ** 0.5, t)
        x0 = x0_from_sigma(c, out, x, s)
        d = (x - x0) / s
        if not ancestral:
            x = f32(x + d * (s_next - s))
        else:
            up = (s_next**2 * (s**2 - s_next**2) / s**2) ** 0.5
            down = (s_next**2 - up**2) ** 0.5
            x = f32(x + d * (down - s) + gen.randn(N) * up)
    return x, ts, sig


def run_heun(c, n, gen):
    ts0, sig0 = euler_ladder(c, n)
    sig = np.concatenate([sig0[:1], np.repeat(sig0[1:-1], 2), sig0[-1:]])
    ts = np.concatenate([ts0[:1], np.repeat(ts0[1:], 2)])
    x = DUMMY * euler_init_sigma(c, sig)
    state = None  # (derivative, dt, sample) of the first-order half
    for i, t in enumerate(ts):
        s_in = sig[i]
        out = model(x / (s_in**2 + 1) ** 0.5, t)
        if state is None:
            s, s_next = sig[i], sig[i + 1]
            x0 = x0_from_sigma(c, out, x, s)
            d = (x - x0) / s
            dt = s_next - s
            if i + 1 < len(ts):
                state = (f32(d), dt, x)
            x = f32(x + d * dt)
        else:
            s_next = sig[i]
            x0 = x0_from_sigma(c, out, x, s_next)
            d = ((x - x0) / s_next + state[0]) / 2
            x = f32(state[2] + d * state[1])
            state = None
    return x, ts, sig


def run_lms(c, n, gen, order=4):
    ts, sig = euler_ladder(c, n)
    x = DUMMY * euler_init_sigma(c, sig)
    ders = []
    for i, t in enumerate(ts):
        s = sig[i]
        out = model(x / (s**2 + 1) ** 0.5, t)
        x0 = x0_from_sigma(c, out, x, s)
        ders.append(f32((x - x0) / s))
        ders = ders[-order:]
        o = min(i + 1, order)
        acc = x.copy()
        for j in range(o):
            # Lagrange basis polynomial for node sig[i - j] on nodes sig[i], ..., sig[i - o + 1], integrated exactly.
            poly = np.poly1d([1.0])
            for k in range(o):
                if k != j:
                    poly = poly * np.poly1d([1.0, -sig[i - k]]) / (sig[i - j] - sig[i - k])
            integ = poly.integ()
            coeff = integ(sig[i + 1]) - integ(sig[i])
            acc = acc + coeff * ders[-1 - j]
        x = f32(acc)
    return x, ts, sig


def run_dpmpp_2m(c, n, gen):
    """diffusers' DPMSolverMultistepScheduler, dpmsolver++ order 2 midpoint, vp samples, final sigma 0."""
    ac = alphas_cumprod(c)
    train = ((1 - ac) / ac) ** 0.5
    if c["use_karras_sigmas"]:
        sig = karras(train[0], train[-1], n)
        ts = np.round(np.array([float(sigma_to_t(s, np.log(train))) for s in sig]))
    else:
        ts = spaced(c, n, "dpm")
        sig = np.interp(ts, np.arange(len(train)), train)
    sig = np.concatenate([sig, [0.0]])
    alpha_sigma = lambda s: (1 / (s**2 + 1) ** 0.5, s / (s**2 + 1) ** 0.5)  # noqa: E731
    x = DUMMY * 1.0  # vp: init_noise_sigma = 1
    outs = []
    for i, t in enumerate(ts):
        a_s, s_s = alpha_sigma(sig[i])
        out = model(x, t)
        p = c["prediction_type"]
        m0 = (x - s_s * out) / a_s if p == "epsilon" else (a_s * x - s_s * out if p == "v_prediction" else out)
        outs.append(f32(m0))
        if sig[i + 1] == 0:
            x = f32(m0)
            continue
        a_t, s_t = alpha_sigma(sig[i + 1])
        lam = lambda a, s: np.log(a) - np.log(s)  # noqa: E731
        h = lam(a_t, s_t) - lam(a_s, s_s)
        if i == 0:
            x_new = (s_t / s_s) * x - a_t * (np.exp(-h) - 1.0) * m0
        else:
            a_p, s_p = alpha_sigma(sig[i - 1])
            r0 = (lam(a_s, s_s) - lam(a_p, s_p)) / h
            d1 = (1.0 / r0) * (outs[-1] - outs[-2])
            x_new = (s_t / s_s) * x - a_t * (np.exp(-h) - 1.0) * outs[-1] - 0.5 * a_t * (np.exp(-h) - 1.0) * d1
        x = f32(x_new)
    return x, ts, sig


def run_lcm(c, n, gen):
    ac = alphas_cumprod(c)
    T, orig = c["num_train_timesteps"], c["original_inference_steps"]
    origin = (np.asarray(list(range(1, orig + 1))) * (T // orig) - 1)[::-1].copy()
    idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
    ts = origin[idx]
    x = DUMMY * 1.0
    for i, t in enumerate(ts):
        st = t * 10.0
        c_skip, c_out = 0.25 / (st**2 + 0.25), st / (st**2 + 0.25) ** 0.5
        x0, _ = vp_pred(c, model(x, t), x, ac[t])
        den = c_out * x0 + c_skip * x
        if i == len(ts) - 1:
            x = f32(den)
        else:
            a_prev = ac[ts[i + 1]]
            x = f32(a_prev**0.5 * den + (1 - a_prev) ** 0.5 * gen.randn(N))
    return x, ts, [((1 - ac[t]) / ac[t]) ** 0.5 for t in ts] + [0.0]


def run_pndm(c, n, gen):
    """diffusers' PNDMScheduler with skip_prk_steps (PLMS), epsilon prediction."""
    ac = alphas_cumprod(c)
    T = c["num_train_timesteps"]
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    asc = spaced(c, n, "ddim")[::-1].astype(int)  # ascending, like diffusers' _timesteps
    plms = np.concatenate([asc[:-1], asc[-2:-1], asc[-1:]])[::-1].copy()
    ratio = T // n

    def prev_sample(x, t, t_prev, eps):
        a_t = ac[t]
        a_p = ac[t_prev] if t_prev >= 0 else final
        denom = a_t * (1 - a_p) ** 0.5 + (a_t * (1 - a_t) * a_p) ** 0.5
        return (a_p / a_t) ** 0.5 * x - (a_p - a_t) * eps / denom

    x = DUMMY * 1.0
    ets, counter, cur = [], 0, None
    for t in plms:
        out = model(x, t)
        t_prev = t - ratio
        if counter != 1:
            ets = ets[-3:]
            ets.append(out)
        else:
            t_prev, t = t, t + ratio
        if len(ets) == 1 and counter == 0:
            eps, cur = out, x
        elif len(ets) == 1 and counter == 1:
            eps, x, cur = (out + ets[-1]) / 2, cur, None
        elif len(ets) == 2:
            eps = (3 * ets[-1] - ets[-2]) / 2
        elif len(ets) == 3:
            eps = (23 * ets[-1] - 16 * ets[-2] + 5 * ets[-3]) / 12
        else:
            eps = (55 * ets[-1] - 59 * ets[-2] + 37 * ets[-3] - 9 * ets[-4]) / 24
        x = f32(prev_sample(x, t, t_prev, eps))
        counter += 1
    sig = [((1 - ac[t]) / ac[t]) ** 0.5 for t in plms] + [((1 - final) / final) ** 0.5]
    return x, plms, sig


RUNNERS = {
    "ddim": run_ddim,
    "ddpm": run_ddpm,
    "euler": run_euler,
    "euler-ancestral": lambda c, n, g: run_euler(c, n, g, ancestral=True),
    "heun": run_heun,
    "lms": run_lms,
    "dpmpp-2m": run_dpmpp_2m,
    "lcm": run_lcm,
    "pndm": run_pndm,
}

# (scheduler, steps, config overrides on SD 1.5)
CASES = [
    ("ddim", 10, {}),
    ("ddim", 10, {"prediction_type": "v_prediction"}),
    ("ddim", 10, {"prediction_type": "sample", "set_alpha_to_one": True}),
    ("ddim", 10, {"timestep_spacing": "trailing"}),
    ("ddim", 10, {"timestep_spacing": "linspace"}),
    ("ddim", 10, {"eta": 1.0}),
    ("ddim", 10, {"num_train_timesteps": 2000, "beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}),
    ("ddim", 10, {"beta_schedule": "squaredcos_cap_v2", "clip_sample": True}),
    ("ddpm", 10, {}),
    ("ddpm", 10, {"prediction_type": "v_prediction"}),
    ("euler", 10, {}),
    ("euler", 10, {"timestep_spacing": "linspace"}),
    ("euler", 10, {"timestep_spacing": "trailing"}),
    ("euler", 10, {"use_karras_sigmas": True}),
    ("euler", 10, {"prediction_type": "v_prediction"}),
    ("euler", 10, {"prediction_type": "sample"}),
    ("euler", 10, {"num_train_timesteps": 2000, "beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}),
    ("euler-ancestral", 10, {}),
    ("euler-ancestral", 10, {"prediction_type": "v_prediction"}),
    ("heun", 10, {}),
    ("heun", 10, {"use_karras_sigmas": True}),
    ("heun", 10, {"prediction_type": "v_prediction", "timestep_spacing": "linspace"}),
    ("lms", 10, {}),
    ("lms", 10, {"use_karras_sigmas": True}),
    ("lms", 10, {"prediction_type": "v_prediction"}),
    ("dpmpp-2m", 10, {}),
    ("dpmpp-2m", 10, {"use_karras_sigmas": True}),
    ("dpmpp-2m", 10, {"prediction_type": "v_prediction"}),
    ("dpmpp-2m", 10, {"prediction_type": "sample"}),
    ("dpmpp-2m", 10, {"timestep_spacing": "linspace"}),
    ("dpmpp-2m", 10, {"timestep_spacing": "trailing"}),
    ("lcm", 4, {}),
    ("lcm", 4, {"prediction_type": "v_prediction"}),
    ("pndm", 10, {}),
    ("pndm", 10, {"timestep_spacing": "trailing", "set_alpha_to_one": True}),
]


def main():
    cases = []
    for name, steps, over in CASES:
        cfg = {**SD15, **over}
        x, ts, sig = RUNNERS[name](cfg, steps, Gen(0))
        cases.append(
            {
                "scheduler": name,
                "steps": steps,
                "config": over,
                "sum": float(np.abs(x).sum()),
                "mean": float(np.abs(x).mean()),
                "timesteps": [float(t) for t in ts],
                "sigmas": [float(s) for s in sig],
            }
        )
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "scheduler-golden.json")
    with open(path, "w") as f:
        json.dump({"sample": "arange(768)[::-1] / 768", "model": "x * t / (t + 1)", "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({len(cases)} cases)")
    for c in cases:
        print(f"{c['scheduler']:16} {json.dumps(c['config']):60} sum={c['sum']:.6f} mean={c['mean']:.6f}")


if __name__ == "__main__":
    main()
