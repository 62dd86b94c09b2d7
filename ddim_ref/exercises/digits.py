"""Checkers for notebook 08, the digits U-Net: the Fréchet distance, when two FDs tie, leftover noise.

Notation: a feature set is an (n, d) array, one row per image; μ and C are its mean and covariance
(np.cov, rows are samples, ddof = 1). FDs measured over k seeds have mean m and sd s (ddof = 1).

    FD(a, b) = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½)               (Heusel et al. 2017)
    tie(a, b)  ⇔  |m_a − m_b| ≤ √(s_a²/k + s_b²/k)                                 (the combined standard error)
    TV(x) = mean |x_{i,j+1} − x_{i,j}| + mean |x_{i+1,j} − x_{i,j}|                 per image, over C, H, W

The checkers are NumPy only; the notebook feeds them nothing from torch.
"""
from __future__ import annotations

import numpy as np

from ..metrics import frechet_distance, total_variation
from .engine import CheckResult, compare


# ---------------------------------------------------------------- the Fréchet distance
def _sqrtm(c):
    lam, u = np.linalg.eigh((c + c.T) / 2)
    return (u * lam.clip(0, None) ** 0.5) @ u.T


def _fd_parts(a, b, cov=lambda f: np.cov(f, rowvar=False)):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.mean(0), b.mean(0), np.atleast_2d(cov(a)), np.atleast_2d(cov(b))


def _fd_cross(c_a, c_b):
    root = _sqrtm(c_a)
    return np.trace(_sqrtm(root @ c_b @ root))


def _fd_no_outer_root(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b)
    root = _sqrtm(c_a)
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b - 2 * root @ c_b @ root)


def _fd_entrywise_root(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b)
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b - 2 * np.sqrt(c_a @ c_b))


def _fd_variances(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b)
    v_a, v_b = np.diag(c_a), np.diag(c_b)
    return np.sum((mu_a - mu_b) ** 2) + np.sum(v_a + v_b - 2 * (v_a * v_b) ** 0.5)


def _fd_mean_not_squared(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b)
    return np.sum((mu_a - mu_b) ** 2) ** 0.5 + np.trace(c_a + c_b) - 2 * _fd_cross(c_a, c_b)


def _fd_no_two(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b)
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b) - _fd_cross(c_a, c_b)


def _fd_rows_as_variables(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b, cov=np.cov)
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b) - 2 * _fd_cross(c_a, c_b)


def _fd_ddof0(a, b):
    mu_a, mu_b, c_a, c_b = _fd_parts(a, b, cov=lambda f: np.cov(f, rowvar=False, ddof=0))
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b) - 2 * _fd_cross(c_a, c_b)


def _features(rng, n_a, n_b, d):
    """Two sets of correlated d-dimensional feature rows (random linear mixes of normals, the second shifted).

    Redrawn until every diagonal entry of C_a C_b is positive, so that the entrywise mistake stays finite.
    """
    while True:
        a, b = (rng.standard_normal((n, d)) @ (0.4 * rng.standard_normal((d, d)) / d**0.5 + np.eye(d))
                for n in (n_a, n_b))
        b = b + rng.standard_normal(d)
        if np.diag(np.cov(a, rowvar=False) @ np.cov(b, rowvar=False)).min() > 0:
            return a, b


def check_frechet_distance(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(feats_a, feats_b)`` = FD = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½)."""
    rng = np.random.default_rng(seed)
    shapes = ((30, 30, 3), (40, 55, 5), (64, 48, 8), (25, 20, 2))  # the first has n_a = n_b
    trials = [_features(rng, n_a, n_b, d) for n_a, n_b, d in shapes]
    accepted = [("you divided the covariances by n, not n − 1 as np.cov and the library do: "
                 "the same FD as n grows", _fd_ddof0)]
    mistakes = [
        ("the cross term is the trace of a matrix square root, (C_a^½ C_b C_a^½)^½: you took np.sqrt of the "
         "product C_a C_b entry by entry", _fd_entrywise_root),
        ("you used the variances only (the diagonals of C_a and C_b, or np.sqrt of their entrywise product): "
         "the cross term needs the full covariance matrices, tr((C_a^½ C_b C_a^½)^½)", _fd_variances),
        ("the cross term has no outer square root in your FD: it is tr((C_a^½ C_b C_a^½)^½), not "
         "tr(C_a^½ C_b C_a^½) = tr(C_a C_b)", _fd_no_outer_root),
        ("the mean term is the squared distance ‖μ_a − μ_b‖²: you used the distance ‖μ_a − μ_b‖",
         _fd_mean_not_squared),
        ("the cross term carries a factor 2: tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½)", _fd_no_two),
        ("np.cov treats rows as variables: feature rows are samples, so use np.cov(feats, rowvar=False) "
         "(a d × d covariance)", _fd_rows_as_variables),
    ]
    return compare("frechet_distance", fn, trials, frechet_distance, mistakes, accepted, what="your FD")


# ---------------------------------------------------------------- when do two FDs tie?
def _mean_sd(fds):
    fds = np.asarray(fds, dtype=np.float64)
    return fds.mean(), fds.std(ddof=1), len(fds)


def reference_is_a_tie(fds_a, fds_b) -> bool:
    """The rule: a tie unless |m_a − m_b| exceeds the combined standard error √(s_a²/k + s_b²/k)."""
    (m_a, s_a, k), (m_b, s_b, _) = _mean_sd(fds_a), _mean_sd(fds_b)
    return bool(abs(m_a - m_b) <= (s_a**2 / k + s_b**2 / k) ** 0.5)


def _seed_pair(rng, k, gap, sd_a, sd_b):
    """FDs of two settings over k seeds with sds exactly sd_a, sd_b (ddof 1), means ``gap`` standard errors apart."""
    def spread(sd):
        z = rng.standard_normal(k)
        return sd * (z - z.mean()) / z.std(ddof=1)

    m_b = rng.uniform(15.0, 40.0)
    se = (sd_a**2 / k + sd_b**2 / k) ** 0.5
    return m_b + gap * se + spread(sd_a), m_b + spread(sd_b)


# One trial per typical rule, (k, gap m_a − m_b in standard errors, s_a, s_b, what a learner's wrong answer there
# says, its likely cause). A verdict is a bool, so a diagnosis is read off the first trial it gets wrong.
_TIE_TRIALS = (
    (3, 0.3, 2.0, 3.0, "means 0.3 standard errors apart are a tie, and you ranked them",
     "did you compare the means only? Two means of a few seeds always differ"),
    (3, -4.0, 2.0, 3.0, "m_a is lower by 4 standard errors and you called it a tie",
     "is your test one-sided: m_a − m_b ≤ SE? Compare |m_a − m_b|"),
    (4, 4.0, 1.5, 2.0, "m_a is higher by 4 standard errors and you called it a tie",
     "is your test one-sided: m_b − m_a ≤ SE? Compare |m_a − m_b|"),
    (5, 1.8, 2.0, 2.0, "a gap of 1.8 standard errors (k = 5 seeds) is a difference and you called it a tie",
     "did you compare with the sds themselves, √(s_a² + s_b²)? The mean of k seeds scatters by s/√k: "
     "divide by k under the root"),
    (3, 0.9, 2.0, 3.0, "a gap of 0.9 standard errors is a tie and you ranked it",
     "np.std divides by k by default: the sd of a few seeds needs ddof=1 (np.std(fds, ddof=1))"),
    (3, 1.3, 1.5, 1.5, "a gap of 1.3 standard errors is a difference and you called it a tie",
     "did you add the standard errors, s_a/√k + s_b/√k? Independent errors add in quadrature, "
     "√(s_a²/k + s_b²/k)"),
    (3, 2.5, 4.0, 5.0, "a gap of 2.5 standard errors (SE = 3.7 FD units) is a difference and you called it a tie",
     "did you compare with a variance, (s_a² + s_b²)/k = SE²? Take its square root (FD units, not FD²)"),
    (3, 1.1, 2.0, 2.5, "a gap of 1.1 standard errors is a difference and you called it a tie",
     "each mean's standard error is s/√k with s = np.std(fds, ddof=1), nothing more"),
)


def _wrong_on(trial):
    """The verdict that disagrees with the rule on ``trial`` and agrees with it everywhere else."""
    def verdict(fds_a, fds_b):
        here = np.array_equal(fds_a, trial[0]) and np.array_equal(fds_b, trial[1])
        return reference_is_a_tie(fds_a, fds_b) != here
    return verdict


def check_is_a_tie(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(fds_a, fds_b)`` → True iff |m_a − m_b| ≤ √(s_a²/k + s_b²/k) (means and ddof-1 sds over k seeds)."""
    rng = np.random.default_rng(seed)
    trials = [_seed_pair(rng, k, gap, sd_a, sd_b) for k, gap, sd_a, sd_b, *_ in _TIE_TRIALS]
    mistakes = [(f"{fact}: {cause}", _wrong_on(trial))
                for trial, (*_, fact, cause) in zip(trials, _TIE_TRIALS, strict=True)]
    return compare("is_a_tie", fn, trials, reference_is_a_tie, mistakes, what="your verdict")


# ---------------------------------------------------------------- total variation
def _tv_parts(x):
    x = np.asarray(x, dtype=np.float64)
    return np.diff(x, axis=-1), np.diff(x, axis=-2)


def _tv_one_mean(x):
    dx, dy = _tv_parts(x)
    n = len(dx)
    return np.concatenate([np.abs(dx).reshape(n, -1), np.abs(dy).reshape(n, -1)], 1).mean(1)


def _tv_cropped(x):
    x = np.asarray(x, dtype=np.float64)
    core = x[..., :-1, :-1]
    return (np.abs(x[..., :-1, 1:] - core) + np.abs(x[..., 1:, :-1] - core)).mean((1, 2, 3))


def check_total_variation(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(images)`` = TV per image, (N, C, H, W) → (N,): mean |horizontal| + mean |vertical| difference."""
    rng = np.random.default_rng(seed)
    trials = [(rng.uniform(0, 1, size=shape),) for shape in ((3, 1, 5, 7), (2, 3, 6, 4), (4, 1, 16, 16))]
    mistakes = [
        ("you summed the differences: TV averages them (mean |horizontal| + mean |vertical|), so that it "
         "does not grow with the image size",
         lambda x: np.sum([np.abs(d).sum((1, 2, 3)) for d in _tv_parts(x)], 0)),
        ("you took one mean over the horizontal and vertical differences together (half the TV on square "
         "images): average each direction on its own, then add", _tv_one_mean),
        ("you averaged |Δx| + |Δy| over the common (H−1) × (W−1) grid: each direction's mean runs over all its "
         "pairs, H (W−1) horizontal and (H−1) W vertical", _tv_cropped),
        ("only the horizontal differences: add the mean |vertical| difference",
         lambda x: np.abs(_tv_parts(x)[0]).mean((1, 2, 3))),
        ("only the vertical differences: add the mean |horizontal| difference",
         lambda x: np.abs(_tv_parts(x)[1]).mean((1, 2, 3))),
        ("you squared the differences: TV uses their absolute values",
         lambda x: np.sum([(d**2).mean((1, 2, 3)) for d in _tv_parts(x)], 0)),
        ("take the absolute value of each difference: signed differences cancel along a row",
         lambda x: np.sum([d.mean((1, 2, 3)) for d in _tv_parts(x)], 0)),
        ("TV is one number per image, shape (N,): average over C, H and W only, not over the batch",
         lambda x: total_variation(x).mean()),
    ]
    return compare("total_variation", fn, trials, total_variation, mistakes, what="your TV")


NOTEBOOK = 8
__all__ = ["check_frechet_distance", "check_is_a_tie", "check_total_variation"]
