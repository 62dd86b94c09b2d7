"""``python -m ddim_ref <command>``: the drivers room — one thin dispatcher, one module per command.

A command module defines ``add_arguments(parser)`` and ``main(args) -> int``; its options use the
shared types of :mod:`ddim_ref.cli.options`, which check every value at parse time. Modules are
imported only when their command runs, so ``python -m ddim_ref --help`` needs neither torch nor
matplotlib. Bad input exits with code 2 and a one-line message, never a traceback, and writes
nothing. A new command is one module here and one line in ``COMMANDS``.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# name: (module, one-line help)
COMMANDS = {
    "train": ("ddim_ref.cli.train", "train the digits U-Net (or the 2-D MLP) with EMA; resumable"),
    "sample": ("ddim_ref.cli.sample", "sample an image grid from a checkpoint with any registered sampler"),
    "demo": ("ddim_ref.cli.demo", "the main job: figures and a time/FD table from the shipped model and a 2-D toy"),
    "tradeoff": ("ddim_ref.cli.tradeoff", "quality vs number of steps (DDIM paper Tables 1 and 2 protocols)"),
    "bench": ("ddim_ref.cli.bench", "speed: NumPy step vs diffusers, torch loop overhead, notebook run times"),
    "guidance": ("ddim_ref.cli.guidance", "what classifier-free guidance does: a labelled 2-D mixture and digits"),
    "docs": ("ddim_ref.cli.docs", "build the documentation site offline (MkDocs): the executed course, the API"),
    "classifier": ("ddim_ref.cli.classifier", "the digits FD classifier: its test accuracy and FD floor; --retrain"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit code 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def build_parser(argv=(), all_commands: bool = False) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (every one with ``all_commands``)."""
    parser = _Parser(prog="python -m ddim_ref",
                     description="ddim_ref: a reference of DDPM and DDIM sampling, with a small PyTorch U-Net")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        if all_commands or (argv and argv[0] == name):
            _module(module).add_arguments(p)
    return parser


def _module(name):
    return importlib.import_module(name)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # a bad option (already reported in one line) or --help
        return int(e.code or 0)
    args.argv = argv  # the command as typed, for outputs that record how they were made
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(_module(args._module).main(args) or 0)
    except (ValueError, OSError) as e:  # bad input, a missing or unwritable file: one line, no traceback
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
