"""The few operations NumPy arrays and torch tensors spell differently.

Every equation in this package is written once, with arithmetic, ``** 0.5`` and ``.clip``,
which both array types share. The handful of calls that differ (stacking, quantiles, drawing
noise) go through this module, which never imports torch itself: it only recognises a tensor
that the caller already made.
"""
from __future__ import annotations

import sys

import numpy as np


def is_torch(x) -> bool:
    """True for a torch tensor (checked by type name, so torch is never imported here)."""
    return type(x).__module__.startswith("torch")


def namespace(x):
    """The array module of ``x``: ``torch`` for tensors (already imported by whoever made them), else ``numpy``."""
    return sys.modules["torch"] if is_torch(x) else np


def stack(arrays):
    """Stack a list of same-shape arrays along a new leading axis."""
    return namespace(arrays[0]).stack(list(arrays))


def quantile_per_sample(a, q: float):
    """Per-sample ``q``-quantile of ``a`` over all but the leading (batch) axis; shape (B,)."""
    flat = a.reshape(a.shape[0], -1)
    if is_torch(flat):
        return namespace(flat).quantile(flat, q, dim=1)
    return np.quantile(flat, q, axis=1)


def is_torch_generator(rng) -> bool:
    """True for a ``torch.Generator`` (checked by type name, so torch is never imported here)."""
    return type(rng).__module__.startswith("torch") and type(rng).__name__ == "Generator"


def check_rng(rng):
    """``rng`` if it can draw noise: None (nothing drawn yet), a NumPy or torch Generator, or an adapter."""
    if rng is None or isinstance(rng, np.random.Generator) or is_torch_generator(rng) \
            or hasattr(rng, "standard_normal"):
        return rng
    raise TypeError("rng must be a numpy.random.Generator (or a torch.Generator for tensors), "
                    f"got {type(rng).__name__}")


def standard_normal(rng, like):
    """Draw N(0, I) noise shaped like ``like`` from ``rng``: NumPy noise for arrays, torch noise for tensors.

    A torch.Generator draws on its own device in ``like``'s dtype, then moves the noise to ``like``'s
    device: a CPU generator gives the same noise to a CPU and a CUDA run.
    """
    check_rng(rng)
    if isinstance(rng, np.random.Generator):
        if is_torch(like):
            raise TypeError("a numpy.random.Generator draws NumPy noise; pass a torch.Generator for torch tensors")
        return rng.standard_normal(np.shape(like))
    if is_torch_generator(rng):
        if not is_torch(like):
            raise TypeError("a torch.Generator draws torch noise; pass a numpy.random.Generator for NumPy arrays")
        torch = namespace(like)
        return torch.randn(tuple(like.shape), generator=rng, dtype=like.dtype, device=rng.device).to(like.device)
    return rng.standard_normal(like)
