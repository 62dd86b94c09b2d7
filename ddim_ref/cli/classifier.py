"""``python -m ddim_ref classifier``: the digits classifier behind the FD metric (``ddim_ref.torch.metrics``).

    python -m ddim_ref classifier              # its test accuracy and the FD floor at --n
    python -m ddim_ref classifier --retrain    # retrain it (≈ 12 s CPU) and write --out atomically
"""
from __future__ import annotations

from . import options


def add_arguments(parser) -> None:
    from ..torch.metrics import CLASSIFIER_PATH

    options.flag(parser, "--retrain", "train the classifier again and save its state dict to --out")
    options.add(parser, "--out", options.output_file(".pt"), CLASSIFIER_PATH, "where --retrain writes")
    options.add(parser, "--seed", options.integer(0, 2**63 - 1), 0, "seed of the retraining")
    options.add(parser, "--n", options.integer(2, 1497), 256, "sample size of the FD floor")


def main(args) -> int:
    import torch

    from ..torch import metrics

    torch.set_num_threads(1)
    if args.retrain:
        net = metrics.train_classifier(seed=args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        torch.save(net.state_dict(), tmp)
        tmp.replace(args.out)
        print(f"wrote {args.out}; test accuracy {metrics.accuracy(net):.4f}")
        return 0
    net = metrics.load_classifier()
    floor = metrics.fd_floor(args.n, classifier=net)
    print(f"test accuracy {metrics.accuracy(net):.4f}; FD floor at n={args.n}: {floor:.3f}")
    return 0
