"""Solutions to the exercises of notebook 09 (step-count trade-offs: how few steps can we afford?)."""
import numpy as np

import ddim_ref as dr


def energy_distance(x, y):
    """E(x, y) = 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖, each E a mean over all pairs (the zero diagonal included)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def mean_distance(a, b):
        return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1).mean()   # (n, m) Euclidean distances

    return float(2 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y))


def convergence_order(steps, errors, sampler):
    """p in error ≈ C · NFE^(−p): minus the least-squares slope of log error against log NFE."""
    nfe = [dr.SAMPLERS[sampler].nfe(int(s)) for s in steps]       # Heun: 2S − 1 model calls for S steps
    slope, _ = np.polyfit(np.log(nfe), np.log(errors), 1)
    return float(-slope)


def official_timesteps(T, S, skip_type):
    """τ of the official DDIM code (ermongroup/ddim), descending as its loop runs ``reversed(seq)``."""
    if skip_type == "uniform":
        seq = list(range(0, T, T // S))               # ⌈T / (T // S)⌉ entries: S only when S divides T
    elif skip_type == "quad":
        seq = [int(s) for s in np.linspace(0, np.sqrt(T * 0.8), S) ** 2]   # int() floors; repeats are kept
    else:
        raise ValueError(f"skip_type is 'uniform' or 'quad', got {skip_type!r}")
    return np.array(seq[::-1])
