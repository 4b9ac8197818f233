"""The three networks: a CLIP-like text encoder, a small KL-VAE (64x64x3 <-> 8x8x4) and a
conditional U-Net with cross-attention, all shaped like their Stable Diffusion namesakes so
the ONNX exports have Optimum's inputs and outputs.

torch 1.13 has no fused attention, so attention is written out (it also exports cleanly).
Shapes are read from tensors at run time, so H and W stay dynamic in the ONNX graphs.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT_DIM = 128
MAX_LEN = 77


def attention(q, k, v, heads, mask=None):
    b, n, d = q.shape
    m = k.shape[1]
    q = q.reshape(b, n, heads, d // heads).transpose(1, 2)
    k = k.reshape(b, m, heads, d // heads).transpose(1, 2)
    v = v.reshape(b, m, heads, d // heads).transpose(1, 2)
    w = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d // heads))
    if mask is not None:
        w = w + mask
    out = torch.matmul(w.softmax(dim=-1), v)
    return out.transpose(1, 2).reshape(b, n, d)


class Attention(nn.Module):
    def __init__(self, dim, ctx_dim=None, heads=4):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None, mask=None):
        ctx = x if ctx is None else ctx
        return self.out(attention(self.q(x), self.k(ctx), self.v(ctx), self.heads, mask))


# --- text encoder ------------------------------------------------------------------------------
class TextLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads=heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    """CLIP text transformer in miniature: causal mask, final LayerNorm, pooled at the first EOS."""

    def __init__(self, vocab_size, eos_id, dim=TEXT_DIM, layers=2, heads=4):
        super().__init__()
        self.eos_id = eos_id
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.randn(MAX_LEN, dim) * 0.01)
        self.layers = nn.ModuleList([TextLayer(dim, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.register_buffer("causal", torch.full((MAX_LEN, MAX_LEN), -1e9).triu(1), persistent=False)

    def forward(self, input_ids):
        ids = input_ids.long()  # the ONNX input is int32, like the diffusers export
        n = ids.shape[1]
        x = self.tok(ids) + self.pos[:n]
        mask = self.causal[:n, :n]
        for layer in self.layers:
            x = layer(x, mask)
        x = self.ln(x)
        # First EOS: weight EOS positions by (77 - index) so the argmax is unique (no ties).
        # (float: onnxruntime's ArgMax has no int64 kernel)
        score = (ids == self.eos_id).float() * (MAX_LEN - torch.arange(n, device=ids.device)).float()
        idx = score.argmax(dim=1)
        pooled = x[torch.arange(x.shape[0], device=x.device), idx]
        return x, pooled


# --- shared conv blocks ------------------------------------------------------------------------
def norm(c):
    return nn.GroupNorm(min(32, c // 2) if c >= 16 else 1, c, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb=None):
        super().__init__()
        self.n1 = norm(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout) if temb else None
        self.n2 = norm(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, t=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(F.silu(t))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


# --- VAE ---------------------------------------------------------------------------------------
class Encoder(nn.Module):
    # Few channels at full resolution: flat shapes need little, and 2 CPU cores pay per pixel.
    def __init__(self, ch=(24, 48, 96, 128), zc=4):
        super().__init__()
        self.inp = nn.Conv2d(3, ch[0], 3, padding=1)
        blocks = []
        for i in range(3):  # 64 -> 32 -> 16 -> 8
            blocks += [ResBlock(ch[i], ch[i]), nn.Conv2d(ch[i], ch[i + 1], 3, stride=2, padding=1)]
        self.blocks = nn.Sequential(*blocks)
        self.mid = ResBlock(ch[-1], ch[-1])
        self.out = nn.Sequential(norm(ch[-1]), nn.SiLU(), nn.Conv2d(ch[-1], 2 * zc, 3, padding=1))

    def forward(self, x):
        return self.out(self.mid(self.blocks(self.inp(x))))  # mean || log-variance


class Decoder(nn.Module):
    def __init__(self, ch=(128, 96, 48, 24), zc=4):
        super().__init__()
        self.inp = nn.Conv2d(zc, ch[0], 3, padding=1)
        self.mid = ResBlock(ch[0], ch[0])
        blocks = []
        for i in range(3):  # 8 -> 16 -> 32 -> 64
            blocks += [ResBlock(ch[i], ch[i]), nn.Upsample(scale_factor=2, mode="nearest"),
                       nn.Conv2d(ch[i], ch[i + 1], 3, padding=1)]
        self.blocks = nn.Sequential(*blocks)
        self.res = ResBlock(ch[-1], ch[-1])
        self.out = nn.Sequential(norm(ch[-1]), nn.SiLU(), nn.Conv2d(ch[-1], 3, 3, padding=1))

    def forward(self, z):
        return self.out(self.res(self.blocks(self.mid(self.inp(z)))))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def encode(self, x):
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class VAEEncoderExport(nn.Module):
    """Optimum's vae_encoder: sample [-1,1] -> latent_parameters (mean || log-variance)."""

    def __init__(self, vae):
        super().__init__()
        self.encoder = vae.encoder

    def forward(self, sample):
        mean, logvar = self.encoder(sample).chunk(2, dim=1)
        return torch.cat([mean, logvar.clamp(-30.0, 20.0)], dim=1)


class VAEDecoderExport(nn.Module):
    """Optimum's vae_decoder: latent_sample (already divided by scaling_factor) -> sample [-1,1]."""

    def __init__(self, vae):
        super().__init__()
        self.decoder = vae.decoder

    def forward(self, latent_sample):
        return self.decoder(latent_sample).clamp(-1.0, 1.0)


# --- U-Net -------------------------------------------------------------------------------------
def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)  # diffusers' flip_sin_to_cos=True


class Transformer(nn.Module):
    """SD's spatial transformer: self-attention, cross-attention to the text, GEGLU feed-forward."""

    def __init__(self, c, ctx_dim, heads=4):
        super().__init__()
        self.norm = norm(c)
        self.proj_in = nn.Conv2d(c, c, 1)
        self.ln1, self.attn1 = nn.LayerNorm(c), Attention(c, heads=heads)
        self.ln2, self.attn2 = nn.LayerNorm(c), Attention(c, ctx_dim, heads=heads)
        self.ln3 = nn.LayerNorm(c)
        self.ff_in = nn.Linear(c, 8 * c)
        self.ff_out = nn.Linear(4 * c, c)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, ctx):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).flatten(2).transpose(1, 2)
        y = y + self.attn1(self.ln1(y))
        y = y + self.attn2(self.ln2(y), ctx)
        a, g = self.ff_in(self.ln3(y)).chunk(2, dim=-1)
        y = y + self.ff_out(a * F.gelu(g))
        y = y.transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(y)


class UNet(nn.Module):
    def __init__(self, ch=(64, 128), ctx_dim=TEXT_DIM, zc=4):
        super().__init__()
        c0, c1 = ch
        temb = 4 * c0
        self.c0 = c0
        self.time = nn.Sequential(nn.Linear(c0, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(zc, c0, 3, padding=1)
        self.d1r, self.d1t = ResBlock(c0, c0, temb), Transformer(c0, ctx_dim)
        self.down = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d2r, self.d2t = ResBlock(c0, c1, temb), Transformer(c1, ctx_dim)
        self.m1, self.mt, self.m2 = ResBlock(c1, c1, temb), Transformer(c1, ctx_dim), ResBlock(c1, c1, temb)
        self.u2r, self.u2t = ResBlock(2 * c1, c1, temb), Transformer(c1, ctx_dim)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c1, c1, 3, padding=1))
        self.u1r, self.u1t = ResBlock(c1 + c0, c0, temb), Transformer(c0, ctx_dim)
        self.out = nn.Sequential(norm(c0), nn.SiLU(), nn.Conv2d(c0, zc, 3, padding=1))

    def forward(self, sample, timestep, encoder_hidden_states):
        ctx = encoder_hidden_states
        t = self.time(timestep_embedding(timestep, self.c0))
        h0 = self.inp(sample)
        h1 = self.d1t(self.d1r(h0, t), ctx)
        h2 = self.d2t(self.d2r(self.down(h1), t), ctx)
        m = self.m2(self.mt(self.m1(h2, t), ctx), t)
        u = self.u2t(self.u2r(torch.cat([m, h2], 1), t), ctx)
        u = self.u1t(self.u1r(torch.cat([self.up(u), h1], 1), t), ctx)
        return self.out(u)


def n_params(m):
    return sum(p.numel() for p in m.parameters())
