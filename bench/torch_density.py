#!/usr/bin/python3
"""Yardstick for bench/digits.ts: the same MAF (5) trained in PyTorch (float64) on the same split.

Reads out/digits-split.json (written by `npm run bench:digits`): the integer training images, the
dequantized validation and test images, alpha and the standardization statistics. Then, as the
TypeScript bench does: fresh dequantization noise every epoch, z = (logit(alpha + (1 - 2 alpha) x) - mean) / std,
MAF (5) of MADEs [256, 256] relu with TFP's left-to-right degrees and glorot-uniform init, reversals
between layers, N(0, I) base, Adam (lr 1e-3), batch 100, early stopping on the validation NLL with
patience 10 (best weights restored). Test NLL in nats per image of the pixel values v + u in
[0, 17)^64: -log p_Z(z) - log|dz/dx| + 64 log 17.

Usage: /usr/bin/python3 bench/torch_density.py [out/digits-split.json] [--layers 5] [--hidden 256,256] [--epochs 150]
Prints one JSON line. Needs python3-torch (Debian) and NumPy; not part of the test run.
"""
import argparse
import json
import math
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402


def made_masks(D, hidden):
    """Input degrees 1..D, hidden degrees spread evenly over [1, D-1] (TFP's 'equal'); masks [fan_in, fan_out]."""
    degs = [np.arange(1, D + 1)]
    for h in hidden:
        degs.append(np.ceil(np.arange(1, h + 1) * (D - 1) / (h + 1)).astype(np.int64).clip(min=1))
    masks = [(inp[:, None] <= out) for inp, out in zip(degs[:-1], degs[1:])]
    out = degs[-1][:, None] < degs[0][None, :]  # [H, D]: unit k feeds output d iff m(k) < d
    masks.append(np.repeat(out, 2, axis=1))  # column d*2 + p, p = 0 shift, 1 log-scale
    return masks


class MADE(torch.nn.Module):
    def __init__(self, D, hidden):
        super().__init__()
        self.D = D
        self.w = torch.nn.ParameterList()
        self.b = torch.nn.ParameterList()
        self.m = []
        for mask in made_masks(D, hidden):
            lim = math.sqrt(6.0 / sum(mask.shape))
            m = torch.as_tensor(mask, dtype=torch.float64)
            self.m.append(m)
            self.w.append(torch.nn.Parameter((torch.rand(mask.shape, dtype=torch.float64) * 2 - 1) * lim * m))
            self.b.append(torch.nn.Parameter(torch.zeros(mask.shape[1], dtype=torch.float64)))

    def forward(self, x):
        for i, (w, b, m) in enumerate(zip(self.w, self.b, self.m)):
            x = x @ (w * m) + b
            if i < len(self.w) - 1:
                x = torch.relu(x)
        out = x.unflatten(-1, (self.D, 2))
        return out[..., 0], out[..., 1]


class MAF(torch.nn.Module):
    def __init__(self, D, hidden, layers):
        super().__init__()
        self.D = D
        self.mades = torch.nn.ModuleList(MADE(D, hidden) for _ in range(layers))

    def log_prob(self, z):
        """Density direction: MADE_0 sees the data, a reversal before every later MADE."""
        ldj = torch.zeros(z.shape[0], dtype=torch.float64)
        for i, made in enumerate(self.mades):
            if i:
                z = z.flip(-1)
            shift, log_scale = made(z)
            z = (z - shift) * torch.exp(-log_scale)
            ldj = ldj - log_scale.sum(-1)
        return -0.5 * (z * z).sum(-1) - 0.5 * self.D * math.log(2 * math.pi) + ldj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split", nargs="?", default="out/digits-split.json")
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    s = json.load(open(args.split))
    D, L, alpha = s["eventSize"], s["levels"], s["alpha"]
    pixels = np.array(s["trainPixels"], dtype=np.float64).reshape(-1, D)
    val = torch.tensor(s["validation"], dtype=torch.float64).reshape(-1, D)
    test = torch.tensor(s["test"], dtype=torch.float64).reshape(-1, D)
    mean = torch.tensor(s["mean"], dtype=torch.float64)
    std = torch.tensor(s["std"], dtype=torch.float64)

    def to_model_space(x):
        """z and log|dz/dx| per row, for x in [0, 1)."""
        p = alpha + (1 - 2 * alpha) * x
        z = (torch.log(p) - torch.log1p(-p) - mean) / std
        ldj = (math.log1p(-2 * alpha) - torch.log(p) - torch.log1p(-p) - torch.log(std)).sum(-1)
        return z, ldj

    def nll_x(model, x):
        """-log p_X(x) per row: the flow on z plus the preprocessing's log-det."""
        with torch.no_grad():
            z, ldj = to_model_space(x)
            return -(model.log_prob(z) + ldj)

    model = MAF(D, [int(h) for h in args.hidden.split(",")], args.layers)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    best, best_state, best_epoch, wait = math.inf, None, 0, 0
    t0 = time.perf_counter()
    epoch = 0
    for epoch in range(1, args.epochs + 1):
        x = torch.tensor((pixels + rng.random(pixels.shape)) / L)  # fresh dequantization noise
        z, _ = to_model_space(x)
        for idx in torch.randperm(z.shape[0]).split(args.batch):
            loss = -model.log_prob(z[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        v = nll_x(model, val).mean().item()
        if v < best:
            best, best_epoch, wait = v, epoch, 0
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
        else:
            wait += 1
            if wait >= args.patience:
                break
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    nll = (nll_x(model, test) + D * math.log(L)).numpy()
    two_se = 2 * nll.std(ddof=1) / math.sqrt(len(nll))
    print(json.dumps({
        "model": f"torch MAF ({args.layers}) hidden [{args.hidden}]", "torch": torch.__version__,
        "test_nll": float(nll.mean()), "two_se": float(two_se), "nats_per_dim": float(nll.mean() / D),
        "median": float(np.median(nll)), "epochs": epoch, "best_epoch": best_epoch, "best_val": best, "seconds": seconds,
        "per_point": [float(v) for v in nll],
    }))


if __name__ == "__main__":
    main()
