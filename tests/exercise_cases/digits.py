"""Typical wrong answers to notebook 08's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from . import solutions

s8 = solutions(8)


def _fd(a, b, cross=None, mean_power=2, factor=2, cov=lambda f: np.cov(f, rowvar=False)):
    """The FD with one piece swapped: ``cross(c_a, c_b)`` the cross term's matrix, the mean term's power."""
    mu_a, mu_b, c_a, c_b = a.mean(0), b.mean(0), cov(a), cov(b)
    if cross is None:
        root = s8._sqrtm_psd(c_a)
        cross = s8._sqrtm_psd(root @ c_b @ root)
    else:
        cross = cross(c_a, c_b)
    return np.sum((mu_a - mu_b) ** 2) ** (mean_power / 2) + np.trace(c_a + c_b) - factor * np.trace(cross)


def _no_outer_root(c_a, c_b):
    root = s8._sqrtm_psd(c_a)
    return root @ c_b @ root


def _stats(fds):
    fds = np.asarray(fds)
    return fds.mean(), fds.std(ddof=1), len(fds)


def _tie_with(spread):
    def is_a_tie(fds_a, fds_b):
        (m_a, s_a, k), (m_b, s_b, _) = _stats(fds_a), _stats(fds_b)
        return abs(m_a - m_b) <= spread(s_a, s_b, k, np.std(fds_a), np.std(fds_b))
    return is_a_tie


def _one_sided(fds_a, fds_b):
    (m_a, s_a, k), (m_b, s_b, _) = _stats(fds_a), _stats(fds_b)
    return m_a - m_b <= (s_a**2 / k + s_b**2 / k) ** 0.5


def _one_sided_other_way(fds_a, fds_b):
    return _one_sided(fds_b, fds_a)


def _tv_cropped(x):
    core = x[..., :-1, :-1]
    return (np.abs(x[..., :-1, 1:] - core) + np.abs(x[..., 1:, :-1] - core)).mean((1, 2, 3))


def _tv_one_mean(x):
    dx, dy = np.abs(np.diff(x, axis=-1)), np.abs(np.diff(x, axis=-2))
    return (dx.sum((1, 2, 3)) + dy.sum((1, 2, 3))) / (dx[0].size + dy[0].size)


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_frechet_distance", lambda a, b: _fd(a, b, cross=lambda c_a, c_b: np.sqrt(c_a @ c_b)), "entry by entry"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, cross=lambda c_a, c_b: np.sqrt(c_a * c_b)),
     "the variances only"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, cov=lambda f: np.diag(np.var(f, axis=0, ddof=1))),
     "the variances only"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, cross=_no_outer_root), "no outer square root"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, mean_power=1), "you used the distance ‖μ_a − μ_b‖"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, factor=1), "carries a factor 2"),
    ("check_frechet_distance", lambda a, b: _fd(a, b, cov=np.cov), "rowvar=False"),
    ("check_is_a_tie", lambda a, b: bool(np.mean(a) == np.mean(b)), "compare the means only"),
    ("check_is_a_tie", _tie_with(lambda s_a, s_b, k, *_: (s_a**2 + s_b**2) ** 0.5), "divide by k under the root"),
    ("check_is_a_tie", _one_sided, "one-sided: m_a − m_b ≤ SE"),
    ("check_is_a_tie", _one_sided_other_way, "one-sided: m_b − m_a ≤ SE"),
    ("check_is_a_tie", _tie_with(lambda s_a, s_b, k, s0_a, s0_b: (s0_a**2 / k + s0_b**2 / k) ** 0.5), "ddof=1"),
    ("check_is_a_tie", _tie_with(lambda s_a, s_b, k, *_: (s_a + s_b) / k**0.5), "add in quadrature"),
    ("check_is_a_tie", _tie_with(lambda s_a, s_b, k, *_: (s_a**2 + s_b**2) / k), "compare with a variance"),
    ("check_is_a_tie", _tie_with(lambda s_a, s_b, k, *_: (s_a**2 / (k - 1) + s_b**2 / (k - 1)) ** 0.5),
     "a gap of 1.1 standard errors"),
    ("check_is_a_tie", lambda a, b: not s8.is_a_tie(a, b), "you ranked them"),
    ("check_total_variation", lambda x: np.abs(np.diff(x, axis=-1)).sum((1, 2, 3))
     + np.abs(np.diff(x, axis=-2)).sum((1, 2, 3)), "you summed the differences"),
    ("check_total_variation", _tv_one_mean, "one mean over the horizontal and vertical"),
    ("check_total_variation", _tv_cropped, "common (H−1) × (W−1) grid"),
    ("check_total_variation", lambda x: np.abs(np.diff(x, axis=-1)).mean((1, 2, 3)), "only the horizontal"),
    ("check_total_variation", lambda x: np.abs(np.diff(x, axis=-2)).mean((1, 2, 3)), "only the vertical"),
    ("check_total_variation", lambda x: (np.diff(x, axis=-1) ** 2).mean((1, 2, 3))
     + (np.diff(x, axis=-2) ** 2).mean((1, 2, 3)), "squared the differences"),
    ("check_total_variation", lambda x: np.diff(x, axis=-1).mean((1, 2, 3)) + np.diff(x, axis=-2).mean((1, 2, 3)),
     "absolute value"),
    ("check_total_variation", lambda x: s8.total_variation(x).mean(), "one number per image"),
]
