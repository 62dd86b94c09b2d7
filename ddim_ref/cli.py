"""``python -m ddim_ref <command>``: one thin dispatcher; each command lives beside the code it runs.

A command module defines ``add_arguments(parser)`` and ``main(args) -> int``. Modules are imported
only when their command runs, so ``python -m ddim_ref --help`` needs neither torch nor matplotlib.
Bad input exits with code 2 and a one-line message, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# name: (module, one-line help)
COMMANDS = {
    "train": ("ddim_ref.torch.train", "train the digits U-Net (or the 2-D MLP) with EMA; resumable"),
    "sample": ("ddim_ref.torch.sample_cli", "sample an image grid from a checkpoint with DDIM or DDPM"),
    "demo": ("ddim_ref.demo", "the main job: figures and a time/FD table from the shipped checkpoint and a 2-D toy"),
    "tradeoff": ("ddim_ref.tradeoff", "quality vs number of steps (DDIM paper Tables 1 and 2 protocols)"),
    "bench": ("ddim_ref.bench", "speed benchmarks: NumPy step vs diffusers, torch loop overhead, notebook run time"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit code 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def build_parser(argv=()) -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m ddim_ref",
                     description="ddim_ref: a reference of DDPM and DDIM sampling, with a small PyTorch U-Net")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        if argv and argv[0] == name:
            _module(module).add_arguments(p)  # only the chosen command's module is imported
    return parser


def _module(name):
    return importlib.import_module(name)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(_module(args._module).main(args) or 0)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
