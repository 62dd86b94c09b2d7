"""Regenerate data/digits16.npz from scikit-learn's bundled 8×8 digits (needs scikit-learn; run once).

Transform, exactly:
  1. x8 = images / 16            (scikit-learn's pixels are integers 0..16 → [0, 1])
  2. x16 = W x8 Wᵀ               bilinear upscaling 8 → 16 with half-pixel centres (OpenCV / torch
                                  ``align_corners=False``): output pixel i samples source coordinate
                                  i/2 − 1/4, clamped to [0, 7], linearly interpolated
  3. float32, shape (N, 1, 16, 16), values in [0, 1]
Split: a permutation from np.random.default_rng(0); the first 300 images are the test split,
the remaining 1,497 the training split. Labels are the digits 0–9.

    python data/make_digits16.py   # writes data/digits16.npz next to this file
"""
from pathlib import Path

import numpy as np


def upsample_matrix(n_in: int = 8, n_out: int = 16) -> np.ndarray:
    """W (n_out × n_in) of bilinear interpolation with half-pixel centres."""
    src = ((np.arange(n_out) + 0.5) * n_in / n_out - 0.5).clip(0, n_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    W = np.zeros((n_out, n_in))
    W[np.arange(n_out), lo] += 1 - frac
    W[np.arange(n_out), hi] += frac
    return W


OUT = Path(__file__).with_name("digits16.npz")


def main(path: Path = OUT, num_test: int = 300) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x8 = digits.images.astype(np.float64) / 16.0
    W = upsample_matrix()
    x16 = np.einsum("ij,njk,lk->nil", W, x8, W)[:, None].astype(np.float32)
    y = digits.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    test, train = perm[:num_test], perm[num_test:]
    np.savez_compressed(path, x_train=x16[train], y_train=y[train], x_test=x16[test], y_test=y[test])
    print(f"wrote {path}: {len(train)} train, {len(test)} test, shape {x16.shape[1:]}, range "
          f"[{x16.min():.3f}, {x16.max():.3f}]")


if __name__ == "__main__":
    main()
