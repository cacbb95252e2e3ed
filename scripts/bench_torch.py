#!/usr/bin/env python3
"""PyTorch baseline for scripts/bench-native.ts, a long-lived process driven by one JSON command per stdin line
(one JSON answer per stdout line), so the TypeScript side can interleave rounds of ours and PyTorch's.

--mode model: the same DLRM as the native engine (Kaggle architecture: bottom 13-512-256-64-16 with ReLU after
every layer, 26 EmbeddingBags (sum, sparse gradients) of dim 16, dot interaction R = [x, lower triangle of
T Tᵀ in row-major order] like the reference's torch.tril_indices(offset=-1), top 367-512-256-1 with ReLU then
sigmoid, mean BCE, plain SGD with lr 0.01; gradients reset with zero_grad(set_to_none=True), PyTorch's
cheapest way), initialised as the reference DLRM (and src/model/initParams.ts) does: Linear
W ~ N(0, sqrt(2/(in+out))), b ~ N(0, sqrt(1/out)), tables U(-sqrt(1/n), sqrt(1/n)).
Trained on the rows of the raw dump the TypeScript side writes (dense float32 [N, 13], labels float32 [N],
one index per table uint32 [26, N]), held in memory as tensors; batch k is rows [k B, (k+1) B) mod N.
  command {"B": 128, "steps": 150, "warmup": 3} -> {"msPerStep", "cpuMsPerStep"}
--mode dcn: TorchRec's DLRM_DCN (torchrec/models/dlrm.py, MLPerf's DLRM-DCNv2) written in plain PyTorch: dense
arch 13-...-d (ReLU after every layer), the same 26 EmbeddingBags of dim d, InteractionDCNArch = LowRankCrossNet
(torchrec/modules/crossnet.py: x_{l+1} = x_0 * (W_l (V_l x_l) + b_l) + x_l, V [r, N], W [N, r], xavier-normal,
b zero) over x_0 = [x, e_1..e_T], over arch N-...-1 (ReLU between layers, logits), BCEWithLogitsLoss, SGD lr 0.01;
same data and commands as --mode model (--dim, --bot, --top, --dcn-layers, --dcn-rank give the shapes).
--mode sparse: the sparse tier alone: 26 EmbeddingBags of R rows x 16, B=2048 uniform random indices, one
per bag, forward + backward (output gradient 1e-3) + sparse SGD.
  command {"steps": 20, "warmup": 3} -> {"msPerStep", "cpuMsPerStep"}
The first line out describes the process: torch version, ATen threads, the BLAS library torch loaded and
its thread count, the OS threads of the process. Run with /usr/bin/python3 (Debian's python3-torch)."""
import argparse
import ctypes
import json
import math
import os
import sys
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
        self.reference_init()

    @staticmethod
    def mlp(widths, last_sigmoid):
        layers = []
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            last = i == len(widths) - 2
            layers.append(nn.Sigmoid() if (last and last_sigmoid) else nn.ReLU())
        return nn.Sequential(*layers)

    @torch.no_grad()
    def reference_init(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, math.sqrt(2.0 / (m.in_features + m.out_features)))
                m.bias.normal_(0.0, math.sqrt(1.0 / m.out_features))
            elif isinstance(m, nn.EmbeddingBag):
                bound = math.sqrt(1.0 / m.num_embeddings)
                m.weight.uniform_(-bound, bound)

    def forward(self, dense, indices, offsets):
        x = self.bot(dense)
        ly = [e(indices[t], offsets) for t, e in enumerate(self.emb)]
        T = torch.cat([x] + ly, dim=1).view(x.shape[0], -1, x.shape[1])
        Z = torch.bmm(T, T.transpose(1, 2))
        R = torch.cat([x, Z[:, self.li, self.lj]], dim=1)
        return self.top(R)


class LowRankCrossNet(nn.Module):
    """TorchRec's LowRankCrossNet, as torchrec/modules/crossnet.py defines it."""

    def __init__(self, in_features, num_layers, low_rank):
        super().__init__()
        self.W_kernels = nn.ParameterList(nn.Parameter(nn.init.xavier_normal_(torch.empty(in_features, low_rank))) for _ in range(num_layers))
        self.V_kernels = nn.ParameterList(nn.Parameter(nn.init.xavier_normal_(torch.empty(low_rank, in_features))) for _ in range(num_layers))
        self.bias = nn.ParameterList(nn.Parameter(torch.zeros(in_features)) for _ in range(num_layers))

    def forward(self, x0):
        xl = x0
        for V, W, b in zip(self.V_kernels, self.W_kernels, self.bias):
            xl = x0 * (nn.functional.linear(nn.functional.linear(xl, V), W) + b) + xl
        return xl


class DlrmDcn(nn.Module):
    """TorchRec's DLRM_DCN: DenseArch, EmbeddingBagCollection (sum), InteractionDCNArch, OverArch (logits)."""

    def __init__(self, table_sizes, d, bot, top, layers, rank):
        super().__init__()
        widths = (13,) + tuple(bot) + (d,)
        self.dense_arch = nn.Sequential(*[m for i in range(len(widths) - 1) for m in (nn.Linear(widths[i], widths[i + 1]), nn.ReLU())])
        self.emb = nn.ModuleList(nn.EmbeddingBag(n, d, mode="sum", sparse=True) for n in table_sizes)
        N = (len(table_sizes) + 1) * d
        self.crossnet = LowRankCrossNet(N, layers, rank)
        over = (N,) + tuple(top)
        mods = []
        for i in range(len(over) - 1):
            mods.append(nn.Linear(over[i], over[i + 1]))
            if i < len(over) - 2:
                mods.append(nn.ReLU())
        self.over_arch = nn.Sequential(*mods)

    def forward(self, dense, indices, offsets):
        x = self.dense_arch(dense)
        ly = [e(indices[t], offsets) for t, e in enumerate(self.emb)]
        return self.over_arch(self.crossnet(torch.cat([x] + ly, dim=1)))


def timed(step, first, warmup, steps):
    """ms and CPU ms (all threads of the process) per step over `steps` steps after `warmup` untimed ones."""
    for k in range(warmup):
        step(first + k)
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(steps):
        step(first + warmup + k)
    return {"msPerStep": (time.perf_counter() - t0) * 1000 / steps, "cpuMsPerStep": (time.process_time() - c0) * 1000 / steps}


def model_runner(args):
    N = args.rows
    raw = np.fromfile(args.data, dtype=np.uint8)
    dense = torch.from_numpy(raw[: N * 13 * 4].view(np.float32).reshape(N, 13).copy())
    labels = torch.from_numpy(raw[N * 13 * 4 : N * 14 * 4].view(np.float32).copy())
    idx = torch.from_numpy(raw[N * 14 * 4 :].view(np.uint32).reshape(26, N).astype(np.int64))
    torch.manual_seed(0)
    sizes = [int(s) for s in args.table_sizes.split(",")]
    if args.mode == "dcn":
        ints = lambda v: [int(x) for x in v.split(",") if x]
        model = DlrmDcn(sizes, args.dim, ints(args.bot), ints(args.top), args.dcn_layers, args.dcn_rank)
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        model = Dlrm(sizes)
        loss_fn = nn.BCELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    position = {}  # per batch size: the next batch number, so rounds continue through the data

    def run(cmd):
        B = cmd["B"]
        offsets = torch.arange(B, dtype=torch.int64)
        nb = N // B

        def step(k):
            a = (k % nb) * B
            opt.zero_grad(set_to_none=True)
            p = model(dense[a : a + B], [idx[t, a : a + B] for t in range(26)], offsets)
            loss = loss_fn(p.view(-1), labels[a : a + B])
            loss.backward()
            opt.step()

        first = position.get(B, 0)
        position[B] = first + cmd["warmup"] + cmd["steps"]
        return timed(step, first, cmd["warmup"], cmd["steps"])

    return run


def sparse_runner(args):
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
        opt.zero_grad(set_to_none=True)
        outs = [bags[t](batches[k % 8][t], offsets) for t in range(T)]
        torch.autograd.backward(outs, [grad] * T)
        opt.step()

    return lambda cmd: timed(step, 0, cmd["warmup"], cmd["steps"])


def blas_info():
    """The BLAS library torch actually loaded (Debian's torch is built with BLAS_INFO=generic) and its threads."""
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    threads = None
    for lib in libs:
        try:
            threads = ctypes.CDLL(lib).openblas_get_num_threads()
            return {"blas": lib, "blasThreads": threads}
        except (OSError, AttributeError):
            continue
    return {"blas": ",".join(libs) or "unknown", "blasThreads": threads}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("model", "dcn", "sparse"), default="model")
    ap.add_argument("--dim", type=int, default=16, help="dcn: embedding dimension d")
    ap.add_argument("--bot", default="512,256", help="dcn: dense arch hidden widths (13 in, d out around them)")
    ap.add_argument("--top", default="1024,1024,512,256,1", help="dcn: over arch widths after its input N")
    ap.add_argument("--dcn-layers", type=int, default=3)
    ap.add_argument("--dcn-rank", type=int, default=512)
    ap.add_argument("--data", help="model: the raw batch dump")
    ap.add_argument("--rows", type=int, help="model: rows in the dump")
    ap.add_argument("--table-sizes", help="model: comma-separated table rows")
    ap.add_argument("--threads", type=int, default=1, help="ATen threads (torch.set_num_threads); its OpenBLAS GEMMs use every core regardless")
    ap.add_argument("--sparse-rows", type=int, default=10_000_000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    run = sparse_runner(args) if args.mode == "sparse" else model_runner(args)
    run({"B": 128, "steps": 1, "warmup": 0})  # one step first: the BLAS and ATen threads exist when counted
    info = {"torch": torch.__version__, "atenThreads": torch.get_num_threads(), **blas_info(), "osThreads": len(os.listdir("/proc/self/task"))}
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
