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

    if text == "digits" or (text.startswith("gmm:") and text.removeprefix("gmm:") in TOY_MIXTURES):
        return text
    path = Path(text)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".npz"):
        return text
    raise ValueError(f"expected digits, gmm:NAME (NAME one of {', '.join(TOY_MIXTURES)}), an image folder or an "
                     f".npz file, got {text!r}")


def _power_of_two(text):
    from ..torch.data import check_image_size

    try:
        return check_image_size(int(text))
    except (TypeError, ValueError):
        raise ValueError(f"expected a power of two in [2, 1024], got {text!r}") from None


DATA = options.OptionType(_data, "digits, gmm:NAME, an image folder or an .npz file",
                          ["nope", "gmm:nope", "/nonexistent/images"], "DATA")


def _type(f):
    meta = f.metadata
    if f.name == "data":
        return DATA
    if f.name == "image_size":
        return options.OptionType(_power_of_two, "a power of two in [2, 1024]", ["x", "24", "0", "2048"], "N")
    if f.name == "channels":
        return options.choice(("1", "3"), cast=int)
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
