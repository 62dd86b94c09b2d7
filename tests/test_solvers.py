"""Second-order solvers: order 2 against the exact Gaussian flow map, DDIM as the first step, diffusers' 2M."""
import numpy as np
import pytest

import ddim_ref as dr
from ddim_ref import solvers
from ddim_ref.analytic import Gaussian, point_mass

AB = dr.alpha_bars(dr.beta_schedule("linear", 1000))
GAUSS = Gaussian([0.5, -1.0], [[1.0, 0.3], [0.3, 0.2]])
X_T = np.random.default_rng(0).standard_normal((256, 2))
T_TOP, T_END = 999, 39  # every S below divides the 960 steps between them: a uniform grid in t


def _rms_error(run, S):
    """RMS distance to the exact flow map from ᾱ[999] to ᾱ[39] (no first-order σ → 0 step)."""
    ts = T_END + np.arange(S, 0, -1) * ((T_TOP - T_END) // S)
    out = run(GAUSS.model(AB), X_T, AB, ts, final_alpha_bar=AB[T_END])
    return float(np.mean((out - GAUSS.flow_map(X_T, AB[T_TOP], AB[T_END])) ** 2) ** 0.5)


def _order(run, steps=(20, 40, 80, 160)):
    errs = [_rms_error(run, S) for S in steps]
    return -np.polyfit(np.log(steps), np.log(errs), 1)[0]


@pytest.mark.parametrize("run, expected", [(dr.sample, 1.0), (solvers.dpm_solver_2m, 2.0), (solvers.heun, 2.0)])
def test_convergence_order_on_gaussian(run, expected):
    assert abs(_order(run) - expected) < 0.25


@pytest.mark.parametrize("S", [5, 10, 20])
def test_2m_beats_ddim_at_equal_nfe(S):
    assert _rms_error(solvers.dpm_solver_2m, 2 * S) < _rms_error(dr.sample, 2 * S)
    assert _rms_error(solvers.heun, S) < _rms_error(dr.sample, solvers.nfe("heun", S))


@pytest.mark.parametrize("run", [solvers.dpm_solver_2m, solvers.heun])
def test_first_step_is_ddim(run):
    ts = dr.timesteps(1000, 10, "trailing")
    ddim = dr.sample(GAUSS.model(AB), X_T, AB, ts, return_trajectory=True)
    ours = run(GAUSS.model(AB), X_T, AB, ts, return_trajectory=True)
    if run is solvers.dpm_solver_2m:  # Heun's first step already uses a second evaluation
        np.testing.assert_allclose(ours.x[1], ddim.x[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.x0_hat[0], ddim.x0_hat[0], rtol=1e-12, atol=1e-12)
    assert ours.x.shape == ddim.x.shape


@pytest.mark.parametrize("run", [solvers.dpm_solver_2m, solvers.heun])
@pytest.mark.parametrize("spacing", ["leading", "trailing", "quadratic"])
def test_exact_on_point_mass(run, spacing):
    x0 = np.array([1.5, -0.5])
    out = run(point_mass(x0).model(AB), X_T[:16], AB, dr.timesteps(1000, 7, spacing))
    np.testing.assert_allclose(out, np.broadcast_to(x0, out.shape), atol=1e-9)


def test_nfe_counts_model_calls():
    calls = []

    def model(x, t):
        calls.append(t)
        return GAUSS.eps(x, AB[t])

    for name, run in [("dpm_solver_2m", solvers.dpm_solver_2m), ("heun", solvers.heun)]:
        calls.clear()
        run(model, X_T[:4], AB, dr.timesteps(1000, 8, "leading"))
        assert len(calls) == solvers.nfe(name, 8)


@pytest.mark.parametrize("S, spacing", [(10, "trailing"), (20, "leading"), (7, "linspace")])
def test_2m_matches_diffusers(S, spacing):
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    sch = diffusers.DPMSolverMultistepScheduler(num_train_timesteps=1000, beta_schedule="linear", solver_order=2,
                                                algorithm_type="dpmsolver++", final_sigmas_type="zero",
                                                lower_order_final=True)
    ts = dr.timesteps(1000, S, spacing)
    sch.set_timesteps(timesteps=ts.tolist())
    ab = sch.alphas_cumprod.double().numpy()  # diffusers' float32 ᾱ, so only its float32 σ arithmetic differs
    model = GAUSS.model(ab)
    x = torch.tensor(X_T[:8])
    for t in sch.timesteps:
        x = sch.step(torch.tensor(model(x.numpy(), int(t))), t, x).prev_sample
    np.testing.assert_allclose(solvers.dpm_solver_2m(model, X_T[:8], ab, ts), x.numpy(), atol=5e-6)


def test_2m_thresholding_matches_diffusers():
    """threshold reaches DPM-Solver++(2M) as in diffusers: each model x0̂ is thresholded before the extrapolation."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    sch = diffusers.DPMSolverMultistepScheduler(num_train_timesteps=1000, beta_schedule="linear", solver_order=2,
                                                algorithm_type="dpmsolver++", final_sigmas_type="zero",
                                                lower_order_final=True, thresholding=True,
                                                dynamic_thresholding_ratio=0.9, sample_max_value=1.5)
    ts = dr.timesteps(1000, 10)
    sch.set_timesteps(timesteps=ts.tolist())
    ab = sch.alphas_cumprod.double().numpy()
    ring = dr.analytic.toy_mixture("ring")  # radius 2: thresholding acts
    model = ring.model(ab)
    x_T = X_T[:8, None, :]  # (B, C, 2): diffusers' thresholding wants a channel axis
    x = torch.tensor(x_T)
    for t in sch.timesteps:
        x = sch.step(torch.tensor(model(x.numpy(), int(t))), t, x).prev_sample
    ours = solvers.dpm_solver_2m(model, x_T, ab, ts, threshold=0.9, sample_max_value=1.5)
    np.testing.assert_allclose(ours, x.numpy(), atol=5e-6)
    assert np.abs(ours - solvers.dpm_solver_2m(model, x_T, ab, ts)).max() > 1e-2  # thresholding acted


def test_v_prediction_gives_the_same_path():
    ts = dr.timesteps(1000, 10, "trailing")
    eps_model = GAUSS.model(AB)

    def v_model(x, t):
        x0 = GAUSS.x0_mean(x, AB[t])
        return dr.v_from_x0_eps(x0, eps_model(x, t), AB[t])

    for run in (solvers.dpm_solver_2m, solvers.heun):
        np.testing.assert_allclose(run(v_model, X_T, AB, ts, prediction_type="v_prediction"),
                                   run(eps_model, X_T, AB, ts), atol=1e-10)


def test_torch_tensors_run_through_the_same_code():
    torch = pytest.importorskip("torch")
    ts = dr.timesteps(1000, 10, "trailing")

    def model(x, t):
        return torch.from_numpy(GAUSS.eps(x.numpy(), AB[t]))

    for run in (solvers.dpm_solver_2m, solvers.heun):
        out = run(model, torch.from_numpy(X_T), AB, ts)
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.numpy(), run(GAUSS.model(AB), X_T, AB, ts), atol=1e-12)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="prediction_type"):
        solvers.dpm_solver_2m(GAUSS.model(AB), X_T, AB, [999, 500], prediction_type="score")
    with pytest.raises(ValueError, match="descending"):
        solvers.heun(GAUSS.model(AB), X_T, AB, [500, 999])
    zero_snr = AB.copy()
    zero_snr[-1] = 0.0
    with pytest.raises(ValueError, match="sigma"):
        solvers.heun(lambda x, t: x, X_T, zero_snr, [999, 500])
    with pytest.raises(ValueError, match="solver"):
        solvers.nfe("euler", 3)
