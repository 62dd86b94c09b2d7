"""The few operations NumPy arrays and torch tensors spell differently.

Every equation in this package is written once, with arithmetic, ``** 0.5`` and ``.clip``,
which both array types share. The handful of calls that differ (stacking, quantiles, drawing
noise) go through this module, which never imports torch itself: it only recognises a tensor
that the caller already made.
"""
from __future__ import annotations

import numpy as np


def is_torch(x) -> bool:
    """True for a torch tensor (checked by type name, so torch is never imported here)."""
    return type(x).__module__.startswith("torch")


def namespace(x):
    """The array module of ``x``: ``torch`` for tensors, ``numpy`` for everything else."""
    if is_torch(x):
        import torch  # already imported by whoever made the tensor

        return torch
    return np


def stack(arrays):
    """Stack a list of same-shape arrays along a new leading axis."""
    return namespace(arrays[0]).stack(list(arrays))


def quantile_per_sample(a, q: float):
    """Per-sample ``q``-quantile of ``a`` over all but the leading (batch) axis; shape (B,)."""
    flat = a.reshape(a.shape[0], -1)
    if is_torch(flat):
        return namespace(flat).quantile(flat, q, dim=1)
    return np.quantile(flat, q, axis=1)


def standard_normal(rng, like):
    """Draw N(0, I) noise shaped like ``like`` from ``rng`` (a NumPy Generator or a torch adapter)."""
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal(np.shape(like))
    if hasattr(rng, "standard_normal"):
        return rng.standard_normal(like)
    raise TypeError(
        f"rng must be a numpy.random.Generator (or a torch.Generator on the torch side), got {type(rng).__name__}"
    )
