#!/usr/bin/env python3
"""PyTorch baseline for scripts/bench-native.ts: the same DLRM (Kaggle architecture: bottom 13-512-256-64-16,
26 EmbeddingBags of dim 16 with sparse gradients, dot interaction, top 367-512-256-1, sigmoid, BCE, plain
SGD) trained on the same batches, read from the raw dump the TypeScript side writes (dense float32 [N, 13],
labels float32 [N], one index per table uint32 [26, N]); --mode sparse: the sparse tier alone: 26 EmbeddingBags of R
rows x 16, B=2048 random indices, forward + backward + sparse SGD. Prints one JSON object on stdout.
Run with /usr/bin/python3 (Debian's python3-torch)."""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn


class Dlrm(nn.Module):
    def __init__(self, table_sizes, bot=(13, 512, 256, 64, 16), top=(512, 256, 1)):
        super().__init__()
        d = bot[-1]
        self.bot = self.mlp(bot, last_sigmoid=False)
        self.emb = nn.ModuleList(nn.EmbeddingBag(n, d, mode="sum", sparse=True) for n in table_sizes)
        n = len(table_sizes) + 1
        top_in = d + n * (n - 1) // 2
        self.top = self.mlp((top_in,) + tuple(top), last_sigmoid=True)
        li, lj = torch.tril_indices(n, n, offset=-1)
        self.li, self.lj = li, lj

    @staticmethod
    def mlp(widths, last_sigmoid):
        layers = []
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            last = i == len(widths) - 2
            layers.append(nn.Sigmoid() if (last and last_sigmoid) else nn.ReLU())
        return nn.Sequential(*layers)

    def forward(self, dense, indices, offsets):
        x = self.bot(dense)
        ly = [e(indices[t], offsets) for t, e in enumerate(self.emb)]
        T = torch.cat([x] + ly, dim=1).view(x.shape[0], -1, x.shape[1])
        Z = torch.bmm(T, T.transpose(1, 2))
        R = torch.cat([x, Z[:, self.li, self.lj]], dim=1)
        return self.top(R)


def bench_model(args, table_sizes):
    N = args.rows
    raw = np.fromfile(args.data, dtype=np.uint8)
    dense = torch.from_numpy(raw[: N * 13 * 4].view(np.float32).reshape(N, 13).copy())
    labels = torch.from_numpy(raw[N * 13 * 4 : N * 14 * 4].view(np.float32).copy())
    idx = torch.from_numpy(raw[N * 14 * 4 :].view(np.uint32).reshape(26, N).astype(np.int64))
    torch.manual_seed(0)
    model = Dlrm(table_sizes)
    loss_fn = nn.BCELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    out = {}
    for B, steps in ((128, args.steps_small), (2048, args.steps_large)):
        offsets = torch.arange(B, dtype=torch.int64)
        nb = N // B

        def step(k):
            a = (k % nb) * B
            opt.zero_grad()
            p = model(dense[a : a + B], [idx[t, a : a + B] for t in range(26)], offsets)
            loss = loss_fn(p.view(-1), labels[a : a + B])
            loss.backward()
            opt.step()

        for k in range(args.warmup):
            step(k)
        t0, c0 = time.perf_counter(), time.process_time()
        for k in range(steps):
            step(args.warmup + k)
        ms = (time.perf_counter() - t0) * 1000 / steps
        cpu = (time.process_time() - c0) * 1000 / steps
        out[f"b{B}"] = {"msPerStep": ms, "cpuMsPerStep": cpu, "samplesPerSec": B * 1000 / ms}
    return out


def bench_sparse(args):
    T, d, B, R = 26, 16, 2048, args.sparse_rows
    bags = nn.ModuleList(nn.EmbeddingBag(R, d, mode="sum", sparse=True) for _ in range(T))
    with torch.no_grad():
        for b in bags:
            b.weight.fill_(0.01)
    opt = torch.optim.SGD(bags.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(1)
    offsets = torch.arange(B, dtype=torch.int64)
    batches = [[torch.randint(0, R, (B,), generator=g) for _ in range(T)] for _ in range(8)]
    grad = torch.full((B, d), 1e-3)

    def step(k):
        opt.zero_grad()
        outs = [bags[t](batches[k % 8][t], offsets) for t in range(T)]
        torch.autograd.backward(outs, [grad] * T)
        opt.step()

    for k in range(3):
        step(k)
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(args.sparse_steps):
        step(k)
    n = args.sparse_steps
    return {"msPerStep": (time.perf_counter() - t0) * 1000 / n, "cpuMsPerStep": (time.process_time() - c0) * 1000 / n, "rows": R}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("model", "sparse"), default="model")
    ap.add_argument("--data", help="model: the raw batch dump")
    ap.add_argument("--rows", type=int, help="model: rows in the dump")
    ap.add_argument("--table-sizes", help="model: comma-separated table rows")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps-small", type=int, default=200)
    ap.add_argument("--steps-large", type=int, default=15)
    ap.add_argument("--sparse-rows", type=int, default=10_000_000)
    ap.add_argument("--sparse-steps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    result = {"torch": torch.__version__, "threads": args.threads}
    if args.mode == "model":
        result.update(bench_model(args, [int(s) for s in args.table_sizes.split(",")]))
    else:
        result["sparse"] = bench_sparse(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
