"""Checkers for notebook 09, the step-count trade-offs notebook."""
from __future__ import annotations

NOTEBOOK = 9
__all__ = []
