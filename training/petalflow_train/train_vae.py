"""Stage 2: train the VAE, then encode the whole dataset once (the U-Net trains on these
latents) and measure the latent scaling factor and the latent->RGB preview map from data."""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .common import (atomic_torch_save, load_json, log, save_json, seed_all, settings, setup_threads,
                     step_generator, work_path)
from .data import load_dataset
from .models import VAE, n_params

KL_WEIGHT = 1e-4  # small: keeps the latent smooth and its variance non-zero without blurring edges
LR = 1e-3
HOLDOUT = 500  # last images of the dataset, never trained on, for the reported reconstruction error


def to_tensor(batch_uint8):
    return torch.from_numpy(np.array(batch_uint8)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def vae_loss(vae, x, g):
    mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
    rec = vae.decoder(z)
    l1 = (rec - x).abs().mean()
    mse = F.mse_loss(rec, x)
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
    return l1 + mse + KL_WEIGHT * kl, dict(l1=l1.item(), mse=mse.item(), kl=kl.item())


def train(s):
    images, _ = load_dataset()
    n_train = len(images) - HOLDOUT
    ckpt_path = work_path("vae", "ckpt.pt")
    seed_all(s.seed)
    vae = VAE()
    opt = torch.optim.AdamW(vae.parameters(), lr=LR, weight_decay=0.0)
    state = dict(step=0, history=[], seconds=0.0)
    try:
        ck = torch.load(ckpt_path)
        vae.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        log(f"vae: resuming at step {state['step']}")
    except FileNotFoundError:
        log(f"vae: starting ({n_params(vae.encoder)} + {n_params(vae.decoder)} params)")
    total = s.vae_steps
    last_save, t_start, acc = time.time(), time.time(), []
    seconds0 = state["seconds"]
    while state["step"] < total:
        step = state["step"]
        g = step_generator(s.seed, 2, step)
        idx = torch.randint(0, n_train, (s.vae_batch,), generator=g).sort().values.numpy()
        x = to_tensor(images[idx])
        # Warm up, then decay linearly to 10%: a stable start and a sharper finish.
        lr = LR * min(1.0, (step + 1) / 100) * (1.0 - 0.9 * step / total)
        for group in opt.param_groups:
            group["lr"] = lr
        loss, parts = vae_loss(vae, x, g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        acc.append(parts)
        state["step"] += 1
        state["seconds"] = seconds0 + time.time() - t_start
        if state["step"] % 50 == 0 or state["step"] == total:
            avg = {k: float(np.mean([a[k] for a in acc])) for k in acc[0]}
            state["history"].append(dict(step=state["step"], **avg))
            acc = []
            log(f"vae step {state['step']}/{total} l1 {avg['l1']:.4f} mse {avg['mse']:.5f} kl {avg['kl']:.3f} "
                f"lr {lr:.2e} ({state['seconds'] / 60:.1f} min)")
        if time.time() - last_save > s.ckpt_every_s or state["step"] == total:
            atomic_torch_save(dict(model=vae.state_dict(), opt=opt.state_dict(), state=state), ckpt_path)
            last_save = time.time()
    return vae, state


@torch.no_grad()
def finalize(vae, state, s):
    """Encode every image; derive scaling factor and preview factors; measure held-out quality."""
    images, _ = load_dataset()
    vae.eval()
    means, logvars = [], []
    for i in range(0, len(images), 256):
        m, lv = vae.encode(to_tensor(images[i:i + 256]))
        means.append(m)
        logvars.append(lv)
    mean, logvar = torch.cat(means), torch.cat(logvars)
    np.save(work_path("vae", "latents_mean.npy"), mean.numpy().astype(np.float32))
    np.save(work_path("vae", "latents_logvar.npy"), logvar.numpy().astype(np.float32))
    # diffusers' convention: scaled latents (z * scaling_factor) should have unit variance.
    g = torch.Generator().manual_seed(s.seed)
    z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
    scaling = float(1.0 / z.std())
    # Preview map: scaled latents [N*64, 4] -> RGB in [-1, 1] at 8x8, least squares with a bias.
    rgb = F.avg_pool2d(to_tensor(images[: len(images)]), 8)  # [N,3,8,8]
    A = torch.cat([(z * scaling).permute(0, 2, 3, 1).reshape(-1, 4), torch.ones(z.shape[0] * 64, 1)], 1).double()
    B = rgb.permute(0, 2, 3, 1).reshape(-1, 3).double()
    sol = torch.linalg.lstsq(A, B).solution  # [5,3]
    pred = A @ sol
    preview_r2 = float(1 - ((pred - B) ** 2).sum() / ((B - B.mean(0)) ** 2).sum())
    hold = to_tensor(images[-HOLDOUT:])
    rec = vae.decoder(mean[-HOLDOUT:]).clamp(-1, 1)
    mse = float(F.mse_loss(rec, hold))
    psnr = float(10 * np.log10(4.0 / mse))
    stats = dict(scaling_factor=scaling, latent_rgb_factors=sol[:4].tolist(), latent_rgb_bias=sol[4].tolist(),
                 preview_r2=preview_r2, holdout_mse=mse, holdout_psnr_db=psnr, steps=state["step"],
                 seconds=state["seconds"], latent_std_unscaled=float(z.std()),
                 mean_posterior_std=float(torch.exp(0.5 * logvar).mean()), history=state["history"])
    save_json(work_path("vae", "stats.json"), stats)
    log(f"vae: scaling_factor {scaling:.4f}, held-out PSNR {psnr:.2f} dB, preview R^2 {preview_r2:.3f}")


def main():
    setup_threads()
    s = settings()
    stats = load_json(work_path("vae", "stats.json"))
    if stats and stats["steps"] >= s.vae_steps:
        log(f"vae: already trained ({stats['steps']} steps)")
        return
    vae, state = train(s)
    finalize(vae, state, s)


if __name__ == "__main__":
    sys.exit(main())
