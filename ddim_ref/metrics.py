"""Sample-quality metrics in NumPy, each read next to its noise floor.

Notation: x_1 … x_n are generated points, y_1 … y_m fresh exact samples, both (n, d).

    SW₂(x, y)² = ∫_{S^{d−1}} W₂(θᵀx, θᵀy)² dθ                sliced Wasserstein-2 (Rabin et al. 2011)
    W₂(a, b)²  = (1/n) Σ_i (a_(i) − b_(i))²                   in 1-D: match sorted values (n = m)
    E(x, y)    = 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖           energy distance (Székely & Rizzo 2013)
    RMS(x, x*) = √((1/nd) Σ ‖x_i − x*_i‖²)                     error to the exact flow map from the same x_T
    TV(x)      = mean |x_{i,j+1} − x_{i,j}| + mean |x_{i+1,j} − x_{i,j}|   per image: leftover noise
    d_NN(x; R) = min_{r ∈ R} ‖x − r‖                           distance to the nearest item of R (memorisation)
    FD(a, b)   = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½)   Fréchet distance of fitted Gaussians

Both are reported for the 2-D mixtures. SW₂ is in the data's own units, costs O(K n log n) for
K directions, and in 2-D its integral over directions is a deterministic quadrature (K evenly
spaced angles on the half circle: no random draws). On multimodal data, though, its floor is
dominated by the binomial noise of the mode weights, which moves 1-D quantiles across the gaps
between modes (ring, n = 4000: floor ≈ 0.09, one mode of 8 dropped ≈ 0.2). The energy distance
costs O(n²) but resolves the same dropped mode at several times its floor (≈ 1/n), so it is the
headline metric of ``python -m ddim_ref tradeoff --data gmm``.

A sample-based distance between two finite sets is not 0 even for perfect samples. Its noise
floor is the same distance between two independent exact sample sets of the same size
(:func:`noise_floor`, scored against the very reference set the samples are scored against);
it is an expected value, and one sample set scatters around it by about its own size. A
sampler is as good as exact when its value reaches the floor. The RMS error to the exact flow
map (Gaussian data) has no floor: it tends to 0 as S grows.
"""
from __future__ import annotations

import numpy as np


def _check_sets(x, y, same_size=False):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need two (n, d) point sets with the same d, got shapes {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("each point set needs at least 2 points")
    if same_size and len(x) != len(y):
        raise ValueError(f"sliced_wasserstein needs sets of equal size, got {len(x)} and {len(y)}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("point sets contain NaN or inf")
    return x, y


def directions(dim: int, num: int = 256, rng: np.random.Generator | None = None) -> np.ndarray:
    """(num, dim) unit vectors: evenly spaced angles on the half circle in 2-D, else uniform draws from ``rng``."""
    if num < 2:
        raise ValueError(f"need at least 2 directions, got {num}")
    if dim == 2:
        a = np.pi * np.arange(num) / num
        return np.stack([np.cos(a), np.sin(a)], 1)
    if rng is None:
        raise ValueError(f"in {dim} dimensions the directions are random: pass rng=np.random.default_rng(seed)")
    theta = rng.standard_normal((num, dim))
    return theta / np.linalg.norm(theta, axis=1, keepdims=True)


def sliced_wasserstein(x, y, num_directions: int = 256, rng: np.random.Generator | None = None) -> float:
    """SW₂(x, y): root mean over directions θ of the 1-D W₂² between sorted projections (equal set sizes)."""
    x, y = _check_sets(x, y, same_size=True)
    theta = directions(x.shape[1], num_directions, rng)
    px, py = np.sort(x @ theta.T, axis=0), np.sort(y @ theta.T, axis=0)  # (n, K)
    return float(np.mean((px - py) ** 2) ** 0.5)


def energy_distance(x, y) -> float:
    """E(x, y) = 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖ (V-statistic: the diagonal's zeros included)."""
    x, y = _check_sets(x, y)

    def mean_dist(a, b):
        d2 = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None] - 2 * a @ b.T
        return float(np.mean(d2.clip(0, None) ** 0.5))

    return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)


def rms_error(x, x_ref) -> float:
    """RMS(x, x*) over all points and coordinates: the distance to the exact flow map from the same x_T."""
    x, x_ref = np.asarray(x, dtype=np.float64), np.asarray(x_ref, dtype=np.float64)
    if x.shape != x_ref.shape:
        raise ValueError(f"x and x_ref must have the same shape, got {x.shape} and {x_ref.shape}")
    return float(np.mean((x - x_ref) ** 2) ** 0.5)


def noise_floor(metric, draw, n: int, rng: np.random.Generator, reference=None, repeats: int = 1) -> float:
    """``metric`` between two independent exact sets of size n: the best value a sampler can reach.

    ``draw(n, rng)`` makes an exact set. With ``reference`` (the exact set the samples are scored
    against) each fresh set is scored against it, exactly as the samples are; the mean of
    ``repeats`` such draws estimates the expected floor.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    values = [metric(draw(n, rng), draw(n, rng) if reference is None else reference) for _ in range(repeats)]
    return float(np.mean(values))


def total_variation(images) -> np.ndarray:
    """Per image, mean |horizontal| + mean |vertical| neighbour difference: (N, C, H, W) → (N,).

    Leftover noise raises it far above any real digit's, which is smooth with an empty border.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {x.shape}")
    return np.abs(np.diff(x, axis=-1)).mean((1, 2, 3)) + np.abs(np.diff(x, axis=-2)).mean((1, 2, 3))


def noisy_fraction(images, threshold: float) -> float:
    """Share of images whose :func:`total_variation` exceeds ``threshold`` (e.g. the largest of the real data's)."""
    return float(np.mean(total_variation(images) > threshold))


def nearest_distance(x, reference) -> np.ndarray:
    """Euclidean distance from each row of ``x`` to its nearest row of ``reference`` (both flattened per item)."""
    a = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    b = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"items must have the same size, got {a.shape[1]} and {b.shape[1]}")
    d2 = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None] - 2 * a @ b.T
    return d2.min(1).clip(0, None) ** 0.5


def _sqrtm_psd(c: np.ndarray) -> np.ndarray:
    """C^½ of a symmetric positive semi-definite matrix via C = U diag(λ) Uᵀ (λ clipped at 0)."""
    lam, u = np.linalg.eigh(c)
    return (u * lam.clip(0, None) ** 0.5) @ u.T


def frechet_distance(feats_a, feats_b) -> float:
    """FD(a, b) = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½) between Gaussians fitted to two
    feature sets (n, d), in float64 (Heusel et al. 2017's FID with any features; ``ddim_ref.torch.metrics``
    supplies a digits classifier's)."""
    a, b = np.asarray(feats_a, dtype=np.float64), np.asarray(feats_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (n, d) arrays with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 rows")
    mu_a, mu_b = a.mean(0), b.mean(0)
    c_a, c_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _sqrtm_psd(c_a)
    m = root_a @ c_b @ root_a
    tr_cross = np.linalg.eigvalsh((m + m.T) / 2).clip(0, None) ** 0.5  # eigenvalues of (C_a^½ C_b C_a^½)^½
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(c_a) + np.trace(c_b) - 2 * tr_cross.sum())


def to_images(x):
    """Samples in the trainers' range [−1, 1] → pixels in [0, 1] (clipped); arrays or tensors."""
    return ((x + 1) / 2).clip(0, 1)


METRICS = {"sw2": sliced_wasserstein, "energy": energy_distance}

__all__ = ["sliced_wasserstein", "energy_distance", "rms_error", "noise_floor", "directions", "to_images",
           "total_variation", "noisy_fraction", "nearest_distance", "frechet_distance", "METRICS"]
