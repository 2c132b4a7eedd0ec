#!/usr/bin/python3
"""PyTorch reference for bench/binary.ts: the same MADE density models of binarized digits, in float64.

Reads out/binary-split.json (written by `npm run bench:binary`): the binarized training, validation
and test images, the hyper-parameters, and the degrees of every mask of both networks (input order
and hidden degrees), so the reference trains exactly the models the TypeScript bench trains:
MADE [H] relu with Bernoulli conditionals, glorot-uniform kernels and zero biases, Adam (lr, batch),
one mask per minibatch for K > 1 (cycling 1, 2, ..., K - 1, 0, as AutoregressiveNetwork.nextMask),
early stopping on the validation NLL (the ensemble's for K > 1) with the best weights restored.
Test NLL in nats per image, +- 2 standard errors over test images; the ensemble is
log((1/K) sum_k p_k(x)) by logsumexp.

Usage: /usr/bin/python3 bench/torch_binary.py [out/binary-split.json]
Prints progress on stderr and one JSON line on stdout. Needs python3-torch (Debian) and NumPy.
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_default_dtype(torch.float64)


def masks_from_degrees(input_order, hidden_degrees):
    """Masks [fan_in, fan_out]: hidden unit k sees j iff m(j) <= m(k); output d sees unit k iff m(k) < m(d)."""
    degs = [np.array(input_order)] + [np.array(h) for h in hidden_degrees]
    masks = [(a[:, None] <= b[None, :]) for a, b in zip(degs[:-1], degs[1:])]
    masks.append(degs[-1][:, None] < degs[0][None, :])
    return [torch.tensor(m.astype(np.float64)) for m in masks]


class MADE(torch.nn.Module):
    """One hidden-layer MADE sharing its weights across K mask sets (params 1: the logit of x_d = 1)."""

    def __init__(self, D, H, mask_sets, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)

        def glorot(fan_in, fan_out):
            limit = math.sqrt(6 / (fan_in + fan_out))
            return torch.nn.Parameter((torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * limit)

        self.W1, self.b1 = glorot(D, H), torch.nn.Parameter(torch.zeros(H))
        self.W2, self.b2 = glorot(H, D), torch.nn.Parameter(torch.zeros(D))
        self.mask_sets = mask_sets
        self.k = 0

    def logits(self, x, k):
        m1, m2 = self.mask_sets[k]
        h = torch.relu(x @ (self.W1 * m1) + self.b1)
        return h @ (self.W2 * m2) + self.b2

    def log_prob(self, x, k):
        l = self.logits(x, k)
        # log sigma(l) = -softplus(-l), log(1 - sigma(l)) = -softplus(l)
        return -(x * torch.nn.functional.softplus(-l) + (1 - x) * torch.nn.functional.softplus(l)).sum(-1)

    def ensemble_log_prob(self, x):
        K = len(self.mask_sets)
        return torch.logsumexp(torch.stack([self.log_prob(x, k) for k in range(K)]), 0) - math.log(K)


def mean_two_se(v):
    v = np.asarray(v)
    return float(v.mean()), float(2 * v.std(ddof=1) / math.sqrt(len(v)))


def train(split, masks, seed):
    D, H = split["eventSize"], split["hidden"]
    sets = [masks_from_degrees(m["inputOrder"], m["hiddenDegrees"]) for m in masks]
    K = len(sets)
    model = MADE(D, H, sets, seed)
    x_train = torch.tensor(split["train"], dtype=torch.float64).reshape(-1, D)
    x_val = torch.tensor(split["validation"], dtype=torch.float64).reshape(-1, D)
    opt = torch.optim.Adam(model.parameters(), lr=split["lr"])
    g = torch.Generator().manual_seed(seed + 1)
    best, best_epoch, best_state = float("inf"), 0, None
    k = 0
    start = time.time()
    for epoch in range(1, split["epochs"] + 1):
        order = torch.randperm(len(x_train), generator=g)
        for s in range(0, len(order), split["batch"]):
            if K > 1:
                k = (k + 1) % K
            xb = x_train[order[s:s + split["batch"]]]
            loss = -model.log_prob(xb, k).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = -(model.ensemble_log_prob(x_val) if K > 1 else model.log_prob(x_val, 0)).mean().item()
        if val < best:
            best, best_epoch = val, epoch
            best_state = {n: p.detach().clone() for n, p in model.state_dict().items()}
        elif epoch - best_epoch >= split["patience"]:
            break
    model.load_state_dict(best_state)
    print(f"  torch K = {K}: {epoch} epochs (best {best_epoch}, validation NLL {best:.3f}), {time.time() - start:.1f} s", file=sys.stderr)
    return model


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "out/binary-split.json"
    with open(path) as f:
        split = json.load(f)
    D = split["eventSize"]
    torch.manual_seed(split["seed"])
    x_train = np.array(split["train"]).reshape(-1, D)
    x_test = torch.tensor(split["test"], dtype=torch.float64).reshape(-1, D)
    p = (x_train.sum(0) + 1) / (len(x_train) + 2)
    xt = x_test.numpy()
    independent = -(xt * np.log(p) + (1 - xt) * np.log1p(-p)).sum(1)
    one = train(split, split["masks"]["one"], split["seed"])
    many = train(split, split["masks"]["many"], split["seed"])
    K = len(split["masks"]["many"])
    H = split["hidden"]
    with torch.no_grad():
        single = -one.log_prob(x_test, 0).numpy()
        per_mask = np.stack([-many.log_prob(x_test, k).numpy() for k in range(K)])
        ensemble = -many.ensemble_log_prob(x_test).numpy()
    rows = []
    for name, v in [
        ("independent Bernoullis (64 per-pixel frequencies)", independent),
        (f"MADE [{H}], 1 mask", single),
        (f"MADE [{H}], {K} masks, one mask at test (mean over masks)", per_mask.mean(0)),
        (f"MADE [{H}], {K} masks, ensemble (logSumExp of the {K})", ensemble),
    ]:
        m, se = mean_two_se(v)
        rows.append({"model": name, "nll": m, "twoSe": se})
    gain = mean_two_se(single - ensemble)
    print(json.dumps({"torch": torch.__version__, "rows": rows, "ensembleGain": {"mean": gain[0], "twoSe": gain[1]}}))


if __name__ == "__main__":
    main()
