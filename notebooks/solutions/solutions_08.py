"""Solutions to the exercises of notebook 08 (the trained digits U-Net)."""
import numpy as np


def _sqrtm_psd(c):
    """C^½ of a symmetric positive semi-definite matrix, C = U diag(λ) Uᵀ → U diag(√λ) Uᵀ (λ clipped at 0)."""
    lam, u = np.linalg.eigh(c)
    return (u * lam.clip(0, None) ** 0.5) @ u.T


def frechet_distance(feats_a, feats_b):
    """FD = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½) of Gaussians fitted to two (n, d) feature sets."""
    a, b = np.asarray(feats_a, dtype=np.float64), np.asarray(feats_b, dtype=np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    c_a, c_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)   # rows are samples: d × d covariances
    root_a = _sqrtm_psd(c_a)
    cross = _sqrtm_psd(root_a @ c_b @ root_a)                     # symmetric PSD, so eigh is safe
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b - 2 * cross))


def is_a_tie(fds_a, fds_b):
    """True unless the means of two settings' FDs (k seeds each) differ by more than √(s_a²/k + s_b²/k)."""
    fds_a, fds_b = np.asarray(fds_a, dtype=np.float64), np.asarray(fds_b, dtype=np.float64)
    k = len(fds_a)
    standard_error = (fds_a.var(ddof=1) / k + fds_b.var(ddof=1) / k) ** 0.5
    return bool(abs(fds_a.mean() - fds_b.mean()) <= standard_error)


def total_variation(images):
    """Per image: mean |horizontal| + mean |vertical| neighbour difference, (N, C, H, W) → (N,)."""
    x = np.asarray(images, dtype=np.float64)
    horizontal = np.abs(x[..., :, 1:] - x[..., :, :-1]).mean(axis=(1, 2, 3))
    vertical = np.abs(x[..., 1:, :] - x[..., :-1, :]).mean(axis=(1, 2, 3))
    return horizontal + vertical
