"""PyTorch's CPU times for every loss, which `bench/pytorch_bench.ts` compares the library with.

Run by hand on a machine where PyTorch is installed (Debian's `python3-torch` runs under
Debian's own interpreter):

    /usr/bin/python3 bench/torch_losses.py            # writes bench/torch_timings.json

Each loss at 1M elements (CrossEntropyLoss: 1000 x 1000 logits, class targets), with its default
options and `reduction="mean"`, forward alone and forward with the gradients the library returns
(`torch.autograd.grad` of every differentiable input), in float32 and float64, on one thread.
Each time is the median of `--repeat` runs after a warm-up, in milliseconds: `ms` the wall-clock
time, `cpu_ms` the process's CPU time (what a shared, busy machine disturbs least).
"""
import argparse
import json
import platform
import re
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F

ROWS, COLUMNS = 1000, 1000
ELEMENTS = ROWS * COLUMNS
# CTCLoss: T frames x N sequences x C classes = 1M log-probabilities, targets of S labels.
CTC_T, CTC_N, CTC_C, CTC_S = 100, 10, 1000, 30
# MultiLabelMarginLoss: this many target classes per row, then -1.
MULTILABEL_TARGETS = 5


def signs(shape, dtype):
    return torch.randint(0, 2, shape).to(dtype) * 2 - 1


def configs(dtype):
    """Each loss: (module, inputs by forward's argument order, names of the differentiable)."""
    square = (ROWS, COLUMNS)
    randn = lambda *shape: torch.randn(*(shape or square), dtype=dtype)
    rand = lambda *shape: torch.rand(*(shape or square), dtype=dtype)
    classes = torch.randint(0, COLUMNS, (ROWS,))
    labels = torch.full(square, -1, dtype=torch.long)
    for row in range(ROWS):
        labels[row, :MULTILABEL_TARGETS] = torch.randperm(COLUMNS)[:MULTILABEL_TARGETS]
    ctc_logits = torch.randn(CTC_T, CTC_N, CTC_C, dtype=dtype)
    pairs = lambda: [randn(), randn()]
    return {
        "L1Loss": (torch.nn.L1Loss(), pairs(), [0, 1]),
        "MSELoss": (torch.nn.MSELoss(), pairs(), [0, 1]),
        "HuberLoss": (torch.nn.HuberLoss(), pairs(), [0, 1]),
        "SmoothL1Loss": (torch.nn.SmoothL1Loss(), pairs(), [0, 1]),
        "BCELoss": (torch.nn.BCELoss(), [torch.sigmoid(randn()), rand()], [0]),
        "BCEWithLogitsLoss": (torch.nn.BCEWithLogitsLoss(), [randn(), rand()], [0]),
        "SoftMarginLoss": (torch.nn.SoftMarginLoss(), [randn(), signs(square, dtype)], [0]),
        "CrossEntropyLoss": (torch.nn.CrossEntropyLoss(), [randn(), classes], [0]),
        "NLLLoss": (torch.nn.NLLLoss(), [F.log_softmax(randn(), 1), classes], [0]),
        "MultiMarginLoss": (torch.nn.MultiMarginLoss(), [randn(), classes], [0]),
        "MultiLabelMarginLoss": (torch.nn.MultiLabelMarginLoss(), [randn(), labels], [0]),
        "MultiLabelSoftMarginLoss": (
            torch.nn.MultiLabelSoftMarginLoss(),
            [randn(), torch.randint(0, 2, square).to(dtype)],
            [0],
        ),
        "CosineEmbeddingLoss": (
            torch.nn.CosineEmbeddingLoss(),
            [randn(), randn(), signs((ROWS,), dtype)],
            [0, 1],
        ),
        "HingeEmbeddingLoss": (
            torch.nn.HingeEmbeddingLoss(),
            [randn(ELEMENTS), signs((ELEMENTS,), dtype)],
            [0],
        ),
        "MarginRankingLoss": (
            torch.nn.MarginRankingLoss(),
            [randn(ELEMENTS), randn(ELEMENTS), signs((ELEMENTS,), dtype)],
            [0, 1],
        ),
        "TripletMarginLoss": (torch.nn.TripletMarginLoss(), [randn(), randn(), randn()], [0, 1, 2]),
        "TripletMarginWithDistanceLoss": (
            torch.nn.TripletMarginWithDistanceLoss(),
            [randn(), randn(), randn()],
            [0, 1, 2],
        ),
        "GaussianNLLLoss": (
            torch.nn.GaussianNLLLoss(),
            [randn(), randn(), rand() + 0.1],
            [0, 1, 2],
        ),
        "KLDivLoss": (
            torch.nn.KLDivLoss(),
            [F.log_softmax(randn(), 1), F.softmax(randn(), 1)],
            [0, 1],
        ),
        "PoissonNLLLoss": (
            torch.nn.PoissonNLLLoss(),
            [randn(), torch.randint(0, 6, square).to(dtype)],
            [0],
        ),
        "CTCLoss": (
            torch.nn.CTCLoss(),
            [
                F.log_softmax(ctc_logits, 2),
                torch.randint(1, CTC_C, (CTC_N, CTC_S)),
                torch.full((CTC_N,), CTC_T, dtype=torch.long),
                torch.full((CTC_N,), CTC_S, dtype=torch.long),
            ],
            [0],
        ),
    }


def cpu_capability():
    found = re.search(r"CPU capability usage: (\w+)", torch.__config__.show())
    return found and found.group(1)


def median_ms(run, repeat):
    """The median wall-clock and CPU milliseconds of `repeat` runs, after 3 warm-up runs."""
    for _ in range(3):
        run()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/torch_timings.json")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--only", nargs="*", help="loss names to time (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(2025)
    warnings.simplefilter("ignore")
    timings = []
    for dtype_name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        for name, (module, inputs, differentiable) in configs(dtype).items():
            if args.only and name not in args.only:
                continue
            forward = lambda: module(*inputs)
            leaves = [t.detach().requires_grad_(i in differentiable) for i, t in enumerate(inputs)]
            wanted = [leaves[i] for i in differentiable]

            def with_grad():
                torch.autograd.grad(module(*leaves), wanted)

            for mode, run in (("forward", forward), ("forward+grad", with_grad)):
                with torch.set_grad_enabled(mode != "forward"):
                    ms, cpu_ms = median_ms(run, args.repeat)
                timings.append(
                    {"loss": name, "dtype": dtype_name, "mode": mode, "ms": ms, "cpu_ms": cpu_ms}
                )
                print(f"{name:30} {dtype_name} {mode:13} {ms:8.3f} ms, cpu {cpu_ms:8.3f}", file=sys.stderr)
    meta = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu_capability": cpu_capability(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "elements": ELEMENTS,
        "repeat": args.repeat,
        "statistic": "median ms per call: ms wall-clock, cpu_ms process CPU time",
    }
    with open(args.out, "w") as file:
        json.dump({"meta": meta, "timings": timings}, file, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
