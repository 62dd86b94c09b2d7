"""Checkers for notebook 10, the applications notebook (inversion, interpolation, editing, restoration)."""
from __future__ import annotations

NOTEBOOK = 10
__all__ = []
