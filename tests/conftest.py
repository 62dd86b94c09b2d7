"""Shared fixtures for the core tests: diffusers schedulers in float64 and a deterministic toy model.

torch and diffusers are imported only inside the fixtures that need them.
"""
import numpy as np
import pytest

from ddim_ref import analytic


@pytest.fixture
def f64_scheduler():
    """Build a diffusers scheduler, then make every ᾱ it reads float64 (its own float32 values, cast).

    The reference then runs on ``sched.alphas_cumprod.numpy()``: both sides see the same ᾱ, so
    step results must agree to rounding (≤ 1e-12 relative).
    """
    import torch

    torch.set_num_threads(1)

    def make(cls, **config):
        sched = cls(**config)
        sched.alphas_cumprod = sched.alphas_cumprod.double()
        for name in ("final_alpha_cumprod", "initial_alpha_cumprod", "one"):
            if hasattr(sched, name):
                setattr(sched, name, getattr(sched, name).double())
        return sched

    return make


@pytest.fixture
def ring():
    """The 2-D ring mixture (radius 2): x0̂ leaves [−1, 1], so clipping and thresholding act."""
    return analytic.toy_mixture("ring")


@pytest.fixture
def as_torch():
    """Wrap a NumPy ``model(x_t, t)`` as a float64 torch model (diffusers' side of a comparison)."""
    import torch

    torch.set_num_threads(1)

    def wrap(np_model):
        return lambda x, t: torch.from_numpy(np.asarray(np_model(x.numpy(), int(t)), dtype=np.float64))

    return wrap


CONFORMANCE_TOL = 1e-12
_conformance_errors = []


def _rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture
def rel_err():
    """max |a − b| / max |b|: the relative error of ``a`` against the reference ``b``."""
    return _rel_err


@pytest.fixture
def conforms():
    """``conforms(ours, theirs)``: assert relative error ≤ 1e-12, and record it for the summary line."""

    def check(ours, theirs):
        err = _rel_err(ours, theirs)
        _conformance_errors.append(err)
        assert err <= CONFORMANCE_TOL, f"relative error {err:.3g} > {CONFORMANCE_TOL:g}"

    return check


def pytest_terminal_summary(terminalreporter):
    """One line: the largest error of the float64 comparisons with diffusers in this run (README quotes it)."""
    if _conformance_errors:
        terminalreporter.write_line(f"conformance with diffusers: {len(_conformance_errors)} float64 comparisons, "
                                    f"max relative error {max(_conformance_errors):.1e} (required <= "
                                    f"{CONFORMANCE_TOL:g})")


@pytest.fixture
def torch_noise():
    """An ``rng`` for the reference samplers that draws what diffusers' ``randn_tensor`` draws.

    ``torch_noise(seed)`` returns an object whose ``standard_normal(like)`` is
    ``torch.randn(like.shape, generator=torch.Generator().manual_seed(seed), dtype=float64)`` in
    sequence, as a NumPy array: the same stream a diffusers scheduler draws from the same seed.
    """
    import torch

    class TorchNoise:
        def __init__(self, seed):
            self.generator = torch.Generator().manual_seed(seed)

        def standard_normal(self, like):
            return torch.randn(tuple(np.shape(like)), generator=self.generator, dtype=torch.float64).numpy()

    return TorchNoise


@pytest.fixture
def replay():
    """``replay(noises)``: an ``rng`` for the reference samplers handing out ``noises`` in order.

    The same arrays go to diffusers as ``variance_noise``, one per step.
    """

    class Replay:
        def __init__(self, noises):
            self._noises = iter(noises)

        def standard_normal(self, like):
            return next(self._noises)

    return Replay


@pytest.fixture
def v_model():
    """``v_model(mixture, alpha_bars)``: the exact v-prediction network v = √ᾱ E[ε|x_t] − √(1−ᾱ) E[x0|x_t].

    At ᾱ = 0 (zero terminal SNR) E[x0 | x_t] is the data mean, so v = −mean there.
    """
    from ddim_ref import v_from_x0_eps

    def make(mixture, alpha_bars):
        def model(x, t):
            a = float(alpha_bars[t])
            eps = mixture.eps(x, a)
            x0 = mixture.x0_mean(x, a) if a > 0 else np.broadcast_to(mixture.weights @ mixture.means, x.shape)
            return v_from_x0_eps(x0, eps, a)

        return model

    return make
