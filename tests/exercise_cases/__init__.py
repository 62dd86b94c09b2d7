"""Typical wrong answers per notebook, one module each: ``WRONG = [(checker, wrong answer, diagnosis piece)]``.

A new notebook's exercises add one module here, named as its ``ddim_ref.exercises`` module.
"""
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))


def solutions(notebook: int):
    """The module ``notebooks/solutions/solutions_NN.py``."""
    return importlib.import_module(f"solutions.solutions_{notebook:02d}")
