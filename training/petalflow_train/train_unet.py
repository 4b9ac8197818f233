"""Stage 3: train the text encoder and the U-Net jointly on the VAE latents.

DDPM epsilon objective over the scaled_linear schedule (T = 1000), min-SNR-5 loss
weighting (faster convergence for small models), 10% empty captions so the same
network gives the unconditional branch of classifier-free guidance, and EMA weights
(what gets exported). The learning rate is constant after warm-up, so a later run can
raise PF_UNET_STEPS and simply continue.
"""
import calendar
import sys
import time

import numpy as np
import torch

from .common import (alphas_cumprod, atomic_torch_save, load_json, log, save_json, seed_all, settings,
                     setup_threads, step_generator, work_path)
from .data import make_caption
from .models import TextEncoder, UNet, n_params
from .tokenizer import Tokenizer

LR = 3e-4
WARMUP = 200
EMA_DECAY = 0.999
CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0


def build_models(tok):
    return TextEncoder(len(tok.vocab), tok.eos_id), UNet()


def load_latents():
    mean = torch.from_numpy(np.load(work_path("vae", "latents_mean.npy")))
    logvar = torch.from_numpy(np.load(work_path("vae", "latents_logvar.npy")))
    stats = load_json(work_path("vae", "stats.json"))
    return mean, torch.exp(0.5 * logvar), stats["scaling_factor"]


def ema_update(ema, model, decay):
    with torch.no_grad():
        for e, p in zip(ema.parameters(), model.parameters()):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)


def parse_deadline(value):
    """PF_UNET_DEADLINE: stop (and checkpoint) at this UTC wall time, "HH:MM" today or a Unix time.
    A time budget for a shared machine; the step count reached is what the card reports."""
    if not value:
        return None
    if ":" in value:
        h, m = (int(x) for x in value.split(":"))
        now = time.gmtime()
        return calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, h, m, 0))
    return float(value)


def main():
    setup_threads()
    s = settings()
    seed_all(s.seed)
    tok = Tokenizer.build()
    metas = load_json(work_path("data", "meta.json"))
    mean, std, scaling = load_latents()
    n_train = len(metas) - 500  # the VAE's held-out images stay unseen here too
    te, unet = build_models(tok)
    ema_te, ema_unet = build_models(tok)
    ema_te.load_state_dict(te.state_dict())
    ema_unet.load_state_dict(unet.state_dict())
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    ckpt_path = work_path("unet", "ckpt.pt")
    state = dict(step=0, history=[], seconds=0.0)
    try:
        ck = torch.load(ckpt_path)
        te.load_state_dict(ck["te"])
        unet.load_state_dict(ck["unet"])
        ema_te.load_state_dict(ck["ema_te"])
        ema_unet.load_state_dict(ck["ema_unet"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        log(f"unet: resuming at step {state['step']}")
    except FileNotFoundError:
        log(f"unet: starting (text encoder {n_params(te)}, U-Net {n_params(unet)} params)")
    total = s.unet_steps
    if state["step"] >= total:
        log(f"unet: already trained ({state['step']} steps)")
        return
    ac = alphas_cumprod().float()
    snr = ac / (1 - ac)
    weight = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr  # min-SNR-gamma for epsilon prediction
    B = s.unet_batch
    deadline = parse_deadline(s.unet_deadline)
    last_save, t_start, acc = time.time(), time.time(), []
    seconds0 = state["seconds"]
    while state["step"] < total:
        step = state["step"]
        g = step_generator(s.seed, 3, step)
        rng = np.random.default_rng([s.seed, 3, step])
        idx = torch.randint(0, n_train, (B,), generator=g)
        captions = ["" if rng.random() < CAPTION_DROPOUT else make_caption(metas[i], rng) for i in idx.tolist()]
        ids = torch.tensor([tok.encode_padded(c) for c in captions], dtype=torch.int32)
        z0 = (mean[idx] + std[idx] * torch.randn(mean[idx].shape, generator=g)) * scaling
        t = torch.randint(0, ac.shape[0], (B,), generator=g)
        eps = torch.randn(z0.shape, generator=g)
        a = ac[t].view(-1, 1, 1, 1)
        zt = a.sqrt() * z0 + (1 - a).sqrt() * eps
        lr = LR * min(1.0, (step + 1) / WARMUP)
        for group in opt.param_groups:
            group["lr"] = lr
        ctx, _ = te(ids)
        pred = unet(zt, t.float(), ctx)
        per = ((pred - eps) ** 2).mean(dim=(1, 2, 3))
        loss = (per * weight[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        ema_update(ema_te, te, decay)
        ema_update(ema_unet, unet, decay)
        acc.append((loss.item(), per.mean().item()))
        state["step"] += 1
        state["seconds"] = seconds0 + time.time() - t_start
        if state["step"] % 50 == 0 or state["step"] == total:
            l, m = np.mean(acc, axis=0)
            state["history"].append(dict(step=state["step"], loss=float(l), mse=float(m)))
            acc = []
            log(f"unet step {state['step']}/{total} loss {l:.4f} eps-mse {m:.4f} ({state['seconds'] / 60:.1f} min)")
        stop = deadline is not None and time.time() >= deadline
        if stop:
            log(f"unet: deadline reached at step {state['step']}; checkpointing (rerun without PF_UNET_DEADLINE to continue)")
        if time.time() - last_save > s.ckpt_every_s or state["step"] == total or stop:
            atomic_torch_save(dict(te=te.state_dict(), unet=unet.state_dict(), ema_te=ema_te.state_dict(),
                                   ema_unet=ema_unet.state_dict(), opt=opt.state_dict(), state=state,
                                   scaling_factor=scaling), ckpt_path)
            last_save = time.time()
        if stop:
            break
    save_json(work_path("unet", "stats.json"), dict(steps=state["step"], seconds=state["seconds"],
                                                     batch=B, history=state["history"]))
    log("unet: done")


if __name__ == "__main__":
    sys.exit(main())
