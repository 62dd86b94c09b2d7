"""Every registered sampler keeps the one contract of ``ddim_ref.samplers``; walked from the registry itself.

A sampler added later (one function + one registry line) is covered by these tests without a new line here.
"""
import inspect

import numpy as np
import pytest

import ddim_ref as dr
from ddim_ref import applications as ap
from ddim_ref.samplers import CONTRACT

AB = dr.alpha_bars(dr.beta_schedule("linear", 1000))
RING = dr.analytic.toy_mixture("ring")
X_T = np.random.default_rng(0).standard_normal((16, 2))
TAU = dr.timesteps(1000, 7)
NAMES = sorted(dr.SAMPLERS)


def _counted(model):
    calls = []

    def counted(x, t):
        calls.append(t)
        return model(x, t)

    return counted, calls


def test_the_registry_holds_the_documented_samplers_and_the_public_names_are_its_entries():
    assert {"ddim", "ddpm", "dpm_solver_2m", "heun"} <= set(dr.SAMPLERS)
    assert dr.SAMPLERS["ddim"] is dr.sample and dr.SAMPLERS["ddpm"] is dr.sample_ddpm
    assert dr.SAMPLERS["dpm_solver_2m"] is dr.solvers.dpm_solver_2m and dr.SAMPLERS["heun"] is dr.solvers.heun
    with pytest.raises(ValueError, match="unknown sampler 'euler'; choose one of ddim, ddpm"):
        dr.SAMPLERS["euler"]


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_the_contract(name):
    params = list(inspect.signature(dr.SAMPLERS[name]).parameters.values())
    shared = list(CONTRACT.parameters.values())
    assert [p.name for p in params[:4]] == ["model", "x_T", "alpha_bars", "timesteps"]
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:4])
    assert params[: len(shared)] == shared  # same names, kinds and defaults, in the same order
    assert all(p.kind is p.KEYWORD_ONLY for p in params[4:])  # everything after timesteps is keyword-only


@pytest.mark.parametrize("name", NAMES)
def test_positional_options_are_refused(name):
    with pytest.raises(TypeError):
        dr.SAMPLERS[name](RING.model(AB), X_T, AB, TAU, 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_samples_and_deterministic_samplers_need_no_rng(name):
    run = dr.SAMPLERS[name]
    a = run(RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(5))
    b = run(RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    try:
        c = run(RING.model(AB), X_T, AB, TAU)
    except ValueError as e:  # a stochastic sampler says what to pass, and only then
        assert "pass rng=np.random.default_rng(seed)" in str(e)
    else:
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_callback_once_per_step_trajectory_lengths_and_nfe(name):
    run = dr.SAMPLERS[name]
    model, calls = _counted(RING.model(AB))
    seen = []
    traj = run(model, X_T, AB, TAU, rng=np.random.default_rng(0), callback=seen.append, return_trajectory=True)
    S = len(TAU)
    assert [s.i for s in seen] == list(range(S)) and all(isinstance(s, dr.Step) for s in seen)
    assert [s.t for s in seen] == list(traj.timesteps) == list(TAU)
    assert traj.x.shape == (S + 1, *X_T.shape) and traj.x0_hat.shape == (S, *X_T.shape)
    np.testing.assert_array_equal(traj.x[0], X_T)
    np.testing.assert_array_equal(traj.x[1:], np.stack([s.x for s in seen]))
    np.testing.assert_allclose(traj.alpha_bar, np.append(AB[TAU], 1.0))
    assert [s.alpha_bar for s in seen] == list(traj.alpha_bar[1:])
    assert len(calls) == run.nfe(S) == dr.solvers.nfe(name, S)


@pytest.mark.parametrize("name", NAMES)
def test_the_process_generator_yields_the_same_steps_and_a_sent_state_is_where_the_next_step_starts(name):
    run = dr.SAMPLERS[name]
    whole = run(RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(3), return_trajectory=True)
    steps = list(run.process(RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(3)))
    np.testing.assert_array_equal(np.stack([s.x for s in steps]), whole.x[1:])
    # send a state: the rest of the run continues from it, exactly like a fresh run from there (memoryless samplers)
    process = run.process(RING.model(AB), X_T, AB, TAU)
    try:
        first = next(process)
    except ValueError:  # stochastic: needs an rng, checked above
        return
    moved = first.x + 0.25
    after = process.send(moved)
    assert after.i == 1 and not np.allclose(after.x, steps[1].x)
    if not run.multistep:  # a memoryless loop continues exactly like a fresh run from the sent state
        fresh = next(run.process(RING.model(AB), moved, AB, TAU[1:]))
        np.testing.assert_allclose(after.x, fresh.x, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_x0_post_processing_reaches_every_sampler(name):
    """clip=1 keeps every x0̂ in [−1, 1] (the ring's data are at radius 2, so clipping acts)."""
    traj = dr.SAMPLERS[name](RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(0), clip=1.0,
                             return_trajectory=True)
    assert np.abs(traj.x0_hat).max() <= 1.0
    plain = dr.SAMPLERS[name](RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(0), return_trajectory=True)
    assert np.abs(plain.x0_hat).max() > 1.5
    thresholded = dr.SAMPLERS[name](RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(0), threshold=0.9,
                                    sample_max_value=1.5, return_trajectory=True)
    assert np.abs(thresholded.x0_hat).max() <= 1.0 + 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_unknown_options_are_refused_with_the_samplers_own_list(name):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        dr.SAMPLERS[name](RING.model(AB), X_T, AB, TAU, rng=np.random.default_rng(0), etaa=0.5)


@pytest.mark.parametrize("name", NAMES)
def test_applications_take_every_sampler_by_name(name):
    model = dr.analytic.point_mass([0.5, -0.5]).model(AB)
    guide = np.array([[2.0, 1.0]])
    kw = dict(sampler=name, rng=np.random.default_rng(0))
    for out in (ap.sdedit(model, guide, 0.5, AB, TAU, **kw), ap.denoise(model, guide, 0.3, AB, TAU, **kw),
                ap.inpaint(model, np.array([[0.5, 9.0]]), np.array([1, 0]), AB, TAU, **kw)):
        np.testing.assert_allclose(out, [[0.5, -0.5]], atol=1e-9)  # a point mass's denoiser lands on its point


def test_invert_follows_the_contract_with_x_0_in_place_of_x_T():
    params = list(inspect.signature(dr.invert).parameters.values())
    assert [p.name for p in params[:4]] == ["model", "x_0", "alpha_bars", "timesteps"]
    assert params[4:len(CONTRACT.parameters)] == list(CONTRACT.parameters.values())[4:]
    seen = []
    traj = dr.invert(RING.model(AB), X_T, AB, TAU, callback=seen.append, return_trajectory=True)
    assert len(seen) == len(TAU) and traj.x.shape == (len(TAU) + 1, *X_T.shape)
    np.testing.assert_allclose(traj.alpha_bar, np.append(AB[TAU], 1.0)[::-1])
    old = dr.invert(RING.model(AB), X_T, AB, TAU, initial_alpha_bar=AB[0])  # the old keyword still works
    np.testing.assert_array_equal(old, dr.invert(RING.model(AB), X_T, AB, TAU, final_alpha_bar=AB[0]))


def test_inpainting_resampling_refuses_a_multistep_sampler():
    with pytest.raises(ValueError, match="multistep"):
        ap.inpaint(RING.model(AB), X_T, np.array([1, 0]), AB, TAU, sampler="dpm_solver_2m", resample=2,
                   rng=np.random.default_rng(0))
