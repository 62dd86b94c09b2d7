"""Checkers for notebook 11, the guidance notebook."""
from __future__ import annotations

NOTEBOOK = 11
__all__ = []
