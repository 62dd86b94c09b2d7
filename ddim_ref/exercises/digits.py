"""Checkers for notebook 08, the digits U-Net notebook."""
from __future__ import annotations

NOTEBOOK = 8
__all__ = []
