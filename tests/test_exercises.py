"""The checkers accept the solutions in notebooks/solutions/ and reject typical wrong answers, rightly diagnosed."""
import importlib

import numpy as np
import pytest
from exercise_cases import solutions

from ddim_ref import exercises as ex

# checker → the solution in notebooks/solutions/solutions_NN.py (its name without "check_")
SOLUTIONS = [(name, getattr(solutions(nb), name.removeprefix("check_"))) for name, nb in ex.CHECKERS.items()]
WRONG = [case for module in ex.MODULES for case in importlib.import_module(f"exercise_cases.{module}").WRONG]
SOL = {nb: solutions(nb) for nb in set(ex.CHECKERS.values())}


def test_every_checker_has_a_solution_and_belongs_to_a_notebook():
    assert len(SOLUTIONS) == len(ex.CHECKERS) >= 10
    assert all(callable(fn) for _, fn in SOLUTIONS)


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


@pytest.mark.parametrize("checker, wrong, diagnosis", WRONG, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_typical_mistake_is_rejected_with_its_diagnosis(checker, wrong, diagnosis, capsys):
    result = getattr(ex, checker)(wrong)
    assert not result and result.status == "wrong"
    assert diagnosis in result.message, result.message
    assert capsys.readouterr().out.strip().startswith("✗")


def test_every_checker_rejects_some_mistake():
    assert {c for c, _, _ in WRONG} == set(ex.CHECKERS)


s3 = SOL[4]  # the DDIM-step solutions of notebook 04


def test_loop_landing_on_alpha_bar_0_passes_with_a_note():
    from exercise_cases.trajectories import _loop_to

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
