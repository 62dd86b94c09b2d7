"""``python -m ddim_ref train``: one option per :class:`~ddim_ref.torch.train.TrainConfig` field.

Each field's help and range come from the field itself, so the options, their checks and the
config cannot drift apart. ``--resume`` continues from ``OUT/ckpt.pt``.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import MISSING, fields
from pathlib import Path

from . import options


def _config_fields():
    from ..torch.train import TrainConfig

    return TrainConfig, fields(TrainConfig)


def _data(text):
    from ..analytic import TOY_MIXTURES

    if text == "digits" or text.removeprefix("gmm:") in TOY_MIXTURES:
        return text
    raise ValueError(f"expected digits or gmm:NAME with NAME one of {', '.join(TOY_MIXTURES)}, got {text!r}")


DATA = options.OptionType(_data, "digits or gmm:NAME", ["nope", "gmm:nope"], "DATA")


def _type(f):
    meta = f.metadata
    if f.name == "data":
        return DATA
    if meta.get("choices") is not None:
        return options.choice(meta["choices"])
    if f.name == "channel_mults":
        return options.listing(options.integer(meta["lo"], meta["hi"]))
    if f.type in (int, "int"):
        return options.integer(meta["lo"], meta["hi"])
    if f.type in (float, "float"):
        return options.number(meta["lo"], meta["hi"])
    if f.name == "out":
        return options.output_dir()
    return options.OptionType(str, "text", (), "TEXT")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _, config_fields = _config_fields()
    for f in config_fields:
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else None
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                                help=f"{f.metadata['help']} (default {default})")
        else:
            options.add(parser, flag, _type(f), default, f.metadata["help"])
    options.flag(parser, "--resume", "continue from OUT/ckpt.pt")


def main(args) -> int:
    from ..torch.train import train

    TrainConfig, config_fields = _config_fields()
    values = {f.name: getattr(args, f.name) for f in config_fields}
    values["out"] = str(values["out"])
    cfg = TrainConfig(**values)  # checks every value (and data) before anything is written
    start = time.perf_counter()
    train(cfg, resume=args.resume)
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"reached step {cfg.steps} after {time.perf_counter() - start:.0f} s; "
              f"EMA weights in {Path(cfg.out) / 'model.pt'}")
    return 0
