"""The checkers accept the solutions in notebooks/solutions/ and reject typical wrong answers, rightly diagnosed."""
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from ddim_ref import ddim_step
from ddim_ref import exercises as ex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
SOL = {n: importlib.import_module(f"solutions.solutions_{n:02d}") for n in range(1, 6)}

SOLUTIONS = [
    ("check_q_sample", SOL[1].q_sample),
    ("check_alpha_bars", SOL[1].alpha_bars),
    ("check_posterior_mean", SOL[2].posterior_mean),
    ("check_posterior_variance", SOL[2].posterior_variance),
    ("check_x0_from_eps", SOL[3].x0_from_eps),
    ("check_ddim_sigma", SOL[3].ddim_sigma),
    ("check_ddim_step", SOL[3].ddim_step),
    ("check_ddim_loop", SOL[4].ddim_loop),
    ("check_ddim_euler", SOL[5].ddim_euler),
    ("check_heun_step", SOL[5].heun_step),
]


def test_every_checker_has_a_solution():
    assert sorted(name for name, _ in SOLUTIONS) == sorted(ex.CHECKERS)


@pytest.mark.parametrize("checker, solution", SOLUTIONS, ids=[n for n, _ in SOLUTIONS])
def test_solution_is_accepted(checker, solution, capsys):
    result = getattr(ex, checker)(solution, seed=3)
    assert result.ok and bool(result) and result.status == "correct"
    assert capsys.readouterr().out.strip() == result.message and result.message.startswith("✓")


@pytest.mark.parametrize("checker", ex.CHECKERS)
def test_not_implemented_is_reported_not_raised(checker, capsys):
    def todo(*args):
        raise NotImplementedError

    result = getattr(ex, checker)(todo)
    assert not result and result.status == "not implemented"
    assert "not implemented yet" in capsys.readouterr().out


def test_a_crash_is_reported_not_raised():
    result = ex.check_q_sample(lambda x0, a, e: x0 @ np.ones(7))
    assert not result and "raised ValueError" in result.message


def test_a_non_function_is_a_value_error():
    with pytest.raises(ValueError, match="expects your function"):
        ex.check_q_sample(np.zeros(3))


s3, s5 = SOL[3], SOL[5]
sig = s5.sigma


def _stride_loop(model, x, ab, ts):
    stride = len(ab) // len(ts)
    for t in ts:
        prev = ab[t - stride] if t - stride >= 0 else 1.0
        x = s3.ddim_step(x, model(x, t), ab[t], prev, 0.0, 0.0)
    return x


def _loop_to(last_level, stop_early=False):
    def loop(model, x, ab, ts):  # with the library's step, which allows ᾱ_prev < ᾱ_t at η = 0
        for i, t in enumerate(ts):
            if i + 1 < len(ts):
                prev = ab[ts[i + 1]]
            elif stop_early:
                break
            else:
                prev = last_level(ab)
            x = ddim_step(x, model(x, t), ab[t], prev)[0]
        return x
    return loop


def _index_loop(model, x, ab, ts):
    levels = list(ab[ts]) + [1.0]
    for i in range(len(ts)):
        x = s3.ddim_step(x, model(x, i), levels[i], levels[i + 1], 0.0, 0.0)
    return x


def _ddpm_mean_loop(model, x, ab, ts):
    levels = list(ab[ts]) + [1.0]
    for i, t in enumerate(ts):
        alpha = levels[i] / levels[i + 1]  # per-step α of the skipping step
        x = (x - (1 - alpha) / (1 - levels[i]) ** 0.5 * model(x, t)) / alpha**0.5
    return x


def _heun(x, f, a, p, second_level=None, average=True):
    e1 = f(x, a)
    x_pred = s5.ddim_euler(x, e1, a, p)
    e2 = f(x_pred, p if second_level is None else second_level)
    return s5.ddim_euler(x, (e1 + e2) / 2 if average else e2, a, p)


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_q_sample", lambda x0, a, e: a * x0 + (1 - a) * e, "take their square roots"),
    ("check_q_sample", lambda x0, a, e: a**0.5 * x0 + (1 - a) * e, "noise coefficient is √(1−ᾱ_t)"),
    ("check_q_sample", lambda x0, a, e: x0 + (1 - a) ** 0.5 * e, "x0 must be scaled by √ᾱ_t"),
    ("check_alpha_bars", lambda b: 1 - b, "per-step α_t"),
    ("check_alpha_bars", lambda b: np.cumprod(np.concatenate([[0.0], b[:-1]]) * -1 + 1), "off by one"),
    ("check_alpha_bars", lambda b: 1 - np.cumsum(b), "first-order approximation"),
    ("check_posterior_mean", lambda x, x0, a, p: SOL[2].posterior_mean(x0, x, a, p), "swapped"),
    ("check_posterior_mean", lambda x, x0, a, p: ((p - a) * p**0.5 * x0 + (1 - p + a) ** 0.5 * (1 - p) * x) / (1 - a),
     "not ᾱ_prev − ᾱ_t"),
    ("check_posterior_mean", lambda x, x0, a, p: (p**0.5 * (1 - a / p) * x0 + a**0.5 * (1 - p) * x) / (1 - a),
     "cumulative, not per-step"),
    ("check_posterior_variance", lambda a, p: 1 - a / p, "not β̃_t"),
    ("check_posterior_variance", lambda a, p: SOL[2].posterior_variance(a, p) ** 0.5, "std"),
    ("check_x0_from_eps", lambda x, e, a: x - (1 - a) ** 0.5 * e, "off by a factor √ᾱ_t"),
    ("check_x0_from_eps", lambda x, e, a: (x - (1 - a) ** 0.5 * e) / a, "not by ᾱ_t"),
    ("check_x0_from_eps", lambda x, e, a: 2 * s3.x0_from_eps(x, e, a), "off by a constant factor 2"),
    ("check_ddim_sigma", lambda a, p, eta: eta * (1 - a / p) ** 0.5, "your σ at η = 1 is √β_t"),
    ("check_ddim_sigma", lambda a, p, eta: s3.ddim_sigma(a, p, eta) ** 2, "variance σ²"),
    ("check_ddim_sigma", lambda a, p, eta: s3.ddim_sigma(a, p, 1.0), "off by a factor 1/η"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: s3.ddim_step(x, e, a, p, eta, 0 * z) + eta * z,
     "scaled the noise by η instead of σ_t(η)"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: (p**0.5 * s3.x0_from_eps(x, e, a) + (1 - p) ** 0.5 * e
                                                    + s3.ddim_sigma(a, p, eta) * z), "left out σ²"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: p**0.5 * s3.x0_from_eps(x, e, a) + (1 - p) ** 0.5 * z,
     "forward marginal is not an update rule"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: ((x - (1 - a / p) / (1 - a) ** 0.5 * e) / (a / p) ** 0.5
                                                    + s3.ddim_sigma(a, p, eta) * z), "DDPM's posterior mean"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: s3.ddim_step(x, e, a, p, eta, 0 * z), "left out the noise"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: a**0.5 * s3.x0_from_eps(x, e, a) + (s3.ddim_step(x, e, a, p, eta, z)
                                                    - p**0.5 * s3.x0_from_eps(x, e, a)), "you used √ᾱ_t"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: (p**0.5 * s3.x0_from_eps(x, e, a / p)   # per-step α in x0̂
                                                    + (1 - p - s3.ddim_sigma(a, p, eta) ** 2) ** 0.5 * e
                                                    + s3.ddim_sigma(a, p, eta) * z), "per-step α_t"),
    ("check_ddim_loop", _loop_to(None, stop_early=True), "stops at t = τ_{S−1}"),
    ("check_ddim_loop", _loop_to(lambda ab: ab[-1]), "alpha_bars[-1] is the LAST entry"),
    ("check_ddim_loop", _stride_loop, "fixed stride"),
    ("check_ddim_loop", _index_loop, "loop index"),
    ("check_ddim_loop", _ddpm_mean_loop, "DDPM's posterior mean with σ = 0"),
    ("check_ddim_euler", lambda x, e, a, p: x / a**0.5 + (sig(p) - sig(a)) * e, "that is x̄_prev"),
    ("check_ddim_euler", lambda x, e, a, p: p**0.5 * (x + (sig(p) - sig(a)) * e), "divide x_t by √ᾱ_t"),
    ("check_ddim_euler", lambda x, e, a, p: x + ((1 - p) ** 0.5 - (1 - a) ** 0.5) * e, "Euler in x"),
    ("check_heun_step", lambda x, f, a, p: s5.ddim_euler(x, f(x, a), a, p), "Euler (DDIM) step only"),
    ("check_heun_step", lambda x, f, a, p: _heun(x, f, a, p, second_level=a), "at the target level"),
    ("check_heun_step", lambda x, f, a, p: _heun(x, f, a, p, average=False), "mean of the two slopes"),
]


@pytest.mark.parametrize("checker, wrong, diagnosis", WRONG, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_typical_mistake_is_rejected_with_its_diagnosis(checker, wrong, diagnosis, capsys):
    result = getattr(ex, checker)(wrong)
    assert not result and result.status == "wrong"
    assert diagnosis in result.message, result.message
    assert capsys.readouterr().out.strip().startswith("✗")


def test_every_checker_rejects_some_mistake():
    assert {c for c, _, _ in WRONG} == set(ex.CHECKERS)


def test_loop_landing_on_alpha_bar_0_passes_with_a_note():
    result = ex.check_ddim_loop(_loop_to(lambda ab: ab[0]))
    assert result.ok and "set_alpha_to_one=False" in result.message


def test_returning_a_tuple_is_explained():
    result = ex.check_ddim_step(lambda x, e, a, p, eta, z: (s3.ddim_step(x, e, a, p, eta, z), None))
    assert not result and "returned a tuple of 2" in result.message


def test_checkers_are_deterministic():
    wrong = lambda x, e, a: x  # noqa: E731
    assert ex.check_x0_from_eps(wrong).message == ex.check_x0_from_eps(wrong).message


def test_nan_from_a_step_upwards_is_explained():
    def loop(model, x, ab, ts):  # the learner's own step: √ of a negative number on the way to alpha_bars[-1]
        levels = list(ab[ts]) + [ab[-1]]
        for i, t in enumerate(ts):
            x = s3.ddim_step(x, model(x, t), levels[i], levels[i + 1], 0.0, 0.0)
        return x

    result = ex.check_ddim_loop(loop)
    assert not result and "NaN" in result.message and "noisier level" in result.message


def test_in_place_updates_do_not_corrupt_the_reference():
    def q_sample_in_place(x0, a, e):  # correct, but scribbles on its inputs
        x0 *= a**0.5
        x0 += (1 - a) ** 0.5 * e
        e[:] = 0
        return x0

    assert ex.check_q_sample(q_sample_in_place).ok


def test_a_scalar_where_an_array_belongs_is_diagnosed():
    assert "not the final value only" in ex.check_alpha_bars(lambda b: np.prod(1 - b)).message
    result = ex.check_alpha_bars(lambda b: float(np.sum(b)))
    assert not result and "has shape ()" in result.message


def test_float32_work_is_accepted():
    assert ex.check_ddim_step(lambda *args: s3.ddim_step(*(np.float32(a) if np.ndim(a) == 0 else a.astype(np.float32)
                                                           for a in args))).ok


def test_sign_flip_is_named():
    assert "has the wrong sign" in ex.check_x0_from_eps(lambda x, e, a: -s3.x0_from_eps(x, e, a)).message
