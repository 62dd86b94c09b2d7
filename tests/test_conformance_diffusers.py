"""Conformance with diffusers' schedulers, the implementation people trust.

Schedules: diffusers computes β and ᾱ in float32, so they are compared at float32 precision.
Steps and loops: the scheduler's ᾱ is cast to float64 (``f64_scheduler``) and the reference runs
on those very values, so every update must agree to rounding: relative error ≤ 1e-12
(``conforms``, which also records the largest error for pytest's summary).
The model is the exact ε of a 2-D ring mixture, on samples shaped (B, C, H, 2) because
diffusers' thresholding wants (B, C, ...).
"""
import numpy as np
import pytest
import torch
from diffusers import DDIMInverseScheduler, DDIMScheduler, DDPMScheduler
from diffusers.schedulers.scheduling_ddim import rescale_zero_terminal_snr as diffusers_rescale

from ddim_ref import (
    alpha_bars,
    beta_schedule,
    ddim_step,
    ddpm_step,
    invert,
    rescale_zero_terminal_snr,
    sample,
    sample_ddpm,
    timesteps,
)

SHAPE = (2, 3, 4, 2)
SCHEDULES = {"linear": "linear", "scaled_linear": "scaled_linear", "squaredcos_cap_v2": "cosine",
             "sigmoid": "sigmoid"}


def _x(seed, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(SHAPE)


def _t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def _ddim_loop(sched, model, x_T, eta=0.0, noises=None):
    """diffusers' own sampling loop (as in DDIMPipeline), float64."""
    x = _t(x_T)
    for i, t in enumerate(sched.timesteps):
        z = None if noises is None else _t(noises[i])
        x = sched.step(model(x, t), t, x, eta=eta, variance_noise=z).prev_sample
    return x.numpy()


# ---------------------------------------------------------------- schedules (float32 precision)
@pytest.mark.parametrize("T", [1000, 37])
@pytest.mark.parametrize("name", SCHEDULES)
def test_betas_and_alpha_bars_match_ddpm_scheduler_at_float32_precision(name, T):
    sched = DDPMScheduler(num_train_timesteps=T, beta_schedule=name, beta_start=1e-4, beta_end=0.02)
    ours = beta_schedule(SCHEDULES[name], T, beta_start=1e-4, beta_end=0.02)
    np.testing.assert_allclose(sched.betas.double().numpy(), ours, rtol=1e-6, atol=0)
    # float32 cumprod: each factor 1 − β adds 2⁻²³ of rounding plus β's own 1e-6 error amplified by β/(1−β)
    bound = np.cumsum(2.0**-23 + 1e-6 * ours / (1 - ours))
    rel = np.abs(sched.alphas_cumprod.double().numpy() / alpha_bars(ours) - 1)
    assert np.all(rel <= bound), np.max(rel / bound)


@pytest.mark.parametrize("name", SCHEDULES)
def test_rescale_zero_terminal_snr_equals_diffusers_in_float64(name):
    """diffusers' function is dtype-generic: in float64 both must agree to rounding.

    β = 1 − ᾱ_t/ᾱ_{t−1} carries an absolute rounding error of a few ulps of 1 (relative 1e-12 at
    β ≈ 1e-4), so β is compared absolutely (1e-14) and ᾱ relatively (1e-12).
    """
    betas = beta_schedule(SCHEDULES[name], 1000)
    theirs = diffusers_rescale(torch.from_numpy(betas)).numpy()
    ours = rescale_zero_terminal_snr(betas)
    assert ours[-1] == 1.0 and theirs[-1] == 1.0
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)
    np.testing.assert_allclose(alpha_bars(ours)[:-1], alpha_bars(theirs)[:-1], rtol=1e-12, atol=0)


def test_rescaled_scheduler_alpha_bars_match_at_float32_precision():
    sched = DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                          rescale_betas_zero_snr=True)
    ours = alpha_bars(rescale_zero_terminal_snr(beta_schedule("scaled_linear", 1000, beta_start=0.00085,
                                                              beta_end=0.012)))
    assert ours[-1] == 0 and sched.alphas_cumprod[-1] == 0
    np.testing.assert_allclose(sched.alphas_cumprod.double().numpy(), ours, rtol=1e-4, atol=1e-9)


# ---------------------------------------------------------------- timesteps
PAIRS = [(T, S) for T in (1, 2, 7, 10, 50, 97, 100, 1000, 1001)
         for S in sorted({1, 2, 3, 7, 29, 50, T // 3, T // 2, T - 1, T}) if 1 <= S <= T]


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_timesteps_equal_diffusers_set_timesteps(spacing):
    mismatches, spurious = [], []
    for T in sorted({T for T, _ in PAIRS}):
        scheds = [cls(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=off)
                  for cls in (DDIMScheduler, DDPMScheduler) for off in (0, 1)]
        for S in [S for TT, S in PAIRS if TT == T]:
            for sched in scheds:
                off = sched.config.steps_offset
                if spacing == "leading" and (S - 1) * (T // S) + off >= T:
                    continue  # diffusers would index past ᾱ_{T−1}; ours raises (test_validation)
                sched.set_timesteps(S)
                theirs = sched.timesteps.numpy()
                if len(theirs) == S + 1 and theirs[-1] == -1:  # diffusers' "trailing" float-arange quirk
                    spurious.append((T, S))
                    theirs = theirs[:S]
                if not np.array_equal(theirs, timesteps(T, S, spacing, steps_offset=off)):
                    mismatches.append((T, S, off, type(sched).__name__))
    assert mismatches == []
    assert spacing == "trailing" or spurious == []


def test_diffusers_trailing_can_append_minus_one_and_ours_does_not():
    sched = DDIMScheduler(num_train_timesteps=50, timestep_spacing="trailing")
    sched.set_timesteps(29)
    assert len(sched.timesteps) == 30 and int(sched.timesteps[-1]) == -1
    ts = timesteps(50, 29, "trailing")
    assert len(ts) == 29 and ts[-1] >= 0
    np.testing.assert_array_equal(ts, sched.timesteps.numpy()[:29])


# ---------------------------------------------------------------- DDIMScheduler.step, step by step
def _step_pairs(sched, S):
    """(t, ᾱ_t, ᾱ_prev) for each step diffusers takes: prev = t − T//S, final level below 0."""
    sched.set_timesteps(S)
    ab = sched.alphas_cumprod.numpy()
    T = len(ab)
    final = float(sched.final_alpha_cumprod)
    return [(int(t), ab[t], ab[t - T // S] if t - T // S >= 0 else final) for t in sched.timesteps]


@pytest.mark.parametrize("set_alpha_to_one", [True, False])
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("prediction_type", ["epsilon", "sample", "v_prediction"])
def test_ddim_step_equals_diffusers(f64_scheduler, prediction_type, eta, set_alpha_to_one, conforms):
    sched = f64_scheduler(DDIMScheduler, prediction_type=prediction_type, clip_sample=False,
                          set_alpha_to_one=set_alpha_to_one)
    for k, (t, ab_t, ab_prev) in enumerate(_step_pairs(sched, 10)):
        x, out, z = _x(3 * k), _x(3 * k + 1), _x(3 * k + 2)
        theirs = sched.step(_t(out), t, _t(x), eta=eta, variance_noise=_t(z))
        x_prev, x0_hat = ddim_step(x, out, ab_t, ab_prev, eta=eta, noise=z, prediction_type=prediction_type)
        conforms(x_prev, theirs.prev_sample)
        conforms(x0_hat, theirs.pred_original_sample)


@pytest.mark.parametrize("options", [dict(clip_sample=True, clip_sample_range=1.0),
                                     dict(clip_sample=True, clip_sample_range=1.5),
                                     dict(thresholding=True, dynamic_thresholding_ratio=0.9, sample_max_value=1.5),
                                     dict(thresholding=True, dynamic_thresholding_ratio=0.995, sample_max_value=1.0)])
@pytest.mark.parametrize("use_clipped_model_output", [False, True])
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_ddim_step_with_clipping_and_thresholding_equals_diffusers(f64_scheduler, options, use_clipped_model_output,
                                                                   prediction_type, conforms):
    sched = f64_scheduler(DDIMScheduler, prediction_type=prediction_type, **{"clip_sample": False, **options})
    ours_opts = (dict(threshold=options["dynamic_thresholding_ratio"], sample_max_value=options["sample_max_value"])
                 if options.get("thresholding") else dict(clip=options["clip_sample_range"]))
    acted = False
    for k, (t, ab_t, ab_prev) in enumerate(_step_pairs(sched, 10)):
        x, out, z = _x(3 * k, 2.0), _x(3 * k + 1), _x(3 * k + 2)
        theirs = sched.step(_t(out), t, _t(x), eta=0.5, variance_noise=_t(z),
                            use_clipped_model_output=use_clipped_model_output)
        x_prev, x0_hat = ddim_step(x, out, ab_t, ab_prev, eta=0.5, noise=z, prediction_type=prediction_type,
                                   use_clipped_model_output=use_clipped_model_output, **ours_opts)
        unclipped = ddim_step(x, out, ab_t, ab_prev, eta=0.5, noise=z, prediction_type=prediction_type)[1]
        acted |= not np.allclose(x0_hat, unclipped)
        conforms(x_prev, theirs.prev_sample)
        conforms(x0_hat, theirs.pred_original_sample)
    assert acted  # the clipping/thresholding really changed x0̂ somewhere


# ---------------------------------------------------------------- whole DDIM loops
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("set_alpha_to_one", [True, False])
def test_ddim_loop_equals_sample(f64_scheduler, ring, as_torch, replay, eta, set_alpha_to_one, conforms):
    """Leading spacing: diffusers' fixed stride t − T//S is the sequence's next element, so the loops agree."""
    sched = f64_scheduler(DDIMScheduler, clip_sample=False, set_alpha_to_one=set_alpha_to_one, steps_offset=1)
    S = 20
    sched.set_timesteps(S)
    ab = sched.alphas_cumprod.numpy()
    model = ring.model(ab)
    x_T = _x(0)
    noises = [_x(100 + i) for i in range(S)]
    theirs = _ddim_loop(sched, as_torch(model), x_T, eta, noises)

    ts = timesteps(1000, S, "leading", steps_offset=1)
    np.testing.assert_array_equal(ts, sched.timesteps.numpy())
    ours = sample(model, x_T, ab, ts, eta=eta, rng=replay(noises) if eta else None,
                  final_alpha_bar=1.0 if set_alpha_to_one else ab[0])
    conforms(ours, theirs)


def test_fixed_stride_differs_from_the_next_timestep_for_linspace_and_trailing():
    """diffusers' step goes from t to t − T//S, the next element only for "leading" (and "trailing" with S | T)."""
    T = 1000
    for spacing, S, differs in [("leading", 7, False), ("trailing", 10, False), ("trailing", 30, True),
                                ("linspace", 7, True), ("linspace", 10, True)]:
        ts = timesteps(T, S, spacing)
        stride_targets = np.maximum(ts - T // S, -1)  # below 0: the final level, as for the true last step
        true_next = np.append(ts[1:], -1)
        assert np.any(stride_targets != true_next) == differs, (spacing, S)
    # linspace, S = 7: from τ = 999 diffusers jumps to ᾱ[857] but next evaluates the model at τ = 832
    ts = timesteps(T, 7, "linspace")
    assert (ts[0], ts[0] - T // 7, ts[1]) == (999, 857, 832)


def test_our_loop_visits_exactly_the_sequence_levels_and_diffusers_linspace_does_not(f64_scheduler, ring, as_torch,
                                                                                    conforms, rel_err):
    """linspace, S = 7: each of our steps goes τ_i → τ_{i+1}; diffusers' step from 166 lands on ᾱ[24], then
    labels that state τ_6 = 0 for the next model call."""
    sched = f64_scheduler(DDIMScheduler, clip_sample=False, timestep_spacing="linspace")
    sched.set_timesteps(7)
    ab = sched.alphas_cumprod.numpy()
    ts = timesteps(1000, 7, "linspace")
    model, calls, x_T = ring.model(ab), [], _x(1)
    traj = sample(lambda x, t: calls.append(t) or model(x, t), x_T, ab, ts, return_trajectory=True)
    assert calls == ts.tolist()
    np.testing.assert_array_equal(traj.alpha_bar, np.append(ab[ts], 1.0))
    for i, t in enumerate(ts):  # state i+1 is one DDIM step from state i, between consecutive levels
        step = ddim_step(traj.x[i], model(traj.x[i], t), traj.alpha_bar[i], traj.alpha_bar[i + 1])[0]
        conforms(traj.x[i + 1], step)

    x_166 = traj.x[-3]  # at τ_5 = 166: diffusers steps to ᾱ[166 − 142] = ᾱ[24], the sequence to ᾱ[0]
    assert ts[-2:].tolist() == [166, 0]
    theirs = sched.step(as_torch(model)(_t(x_166), 166), 166, _t(x_166)).prev_sample.numpy()
    to_24 = ddim_step(x_166, model(x_166, 166), ab[166], ab[24])[0]
    conforms(theirs, to_24)
    assert rel_err(theirs, traj.x[-2]) > 1e-2  # not where the sequence's next level puts it


# ---------------------------------------------------------------- DDPMScheduler.step
@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
@pytest.mark.parametrize("prediction_type", ["epsilon", "sample", "v_prediction"])
def test_ddpm_step_equals_diffusers(f64_scheduler, torch_noise, variance_type, prediction_type, conforms):
    sched = f64_scheduler(DDPMScheduler, variance_type=variance_type, prediction_type=prediction_type,
                          clip_sample=False)
    sched.set_timesteps(10)
    ab = sched.alphas_cumprod.numpy()
    for k, t in enumerate(sched.timesteps):
        prev = int(sched.previous_timestep(t))
        x, out = _x(2 * k), _x(2 * k + 1)
        theirs = sched.step(_t(out), t, _t(x), generator=torch.Generator().manual_seed(k))
        z = torch_noise(k).standard_normal(x)
        x_prev, x0_hat = ddpm_step(x, out, ab[t], ab[prev] if prev >= 0 else 1.0, noise=z,
                                   variance=variance_type.removeprefix("fixed_"), prediction_type=prediction_type)
        conforms(x_prev, theirs.prev_sample)
        conforms(x0_hat, theirs.pred_original_sample)


@pytest.mark.parametrize("spacing", ["leading", "linspace"])
@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
def test_ddpm_loop_with_clipping_equals_sample_ddpm(f64_scheduler, ring, as_torch, torch_noise, variance_type, spacing,
                                                    conforms):
    """DDPMScheduler steps to the sequence's next element (``previous_timestep``), so unlike DDIMScheduler
    its loop agrees with ours for "linspace" spacing too."""
    sched = f64_scheduler(DDPMScheduler, variance_type=variance_type, clip_sample=True, timestep_spacing=spacing)
    sched.set_timesteps(25)
    ab = sched.alphas_cumprod.numpy()
    model = ring.model(ab)
    x = _t(_x(5))
    generator = torch.Generator().manual_seed(7)
    for t in sched.timesteps:
        x = sched.step(as_torch(model)(x, t), t, x, generator=generator).prev_sample
    ours = sample_ddpm(model, _x(5), ab, timesteps(1000, 25, spacing), rng=torch_noise(7),
                       variance=variance_type.removeprefix("fixed_"), clip=1.0)
    conforms(ours, x.numpy())


# ---------------------------------------------------------------- DDIMInverseScheduler
@pytest.mark.parametrize("set_alpha_to_one", [True, False])
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_inversion_loop_equals_invert_eval_at_next(f64_scheduler, ring, as_torch, set_alpha_to_one, prediction_type,
                                                   conforms):
    sched = f64_scheduler(DDIMInverseScheduler, clip_sample=False, set_alpha_to_one=set_alpha_to_one,
                          prediction_type=prediction_type)
    S = 20
    sched.set_timesteps(S)
    ab = sched.alphas_cumprod.numpy()
    eps_model = ring.model(ab)
    if prediction_type == "v_prediction":  # v = √ᾱ ε − √(1−ᾱ) x0̂ of the exact denoiser
        def model(x, t):
            return ab[t] ** 0.5 * eps_model(x, t) - (1 - ab[t]) ** 0.5 * ring.x0_mean(x, ab[t])
    else:
        model = eps_model
    x0 = ring.sample(int(np.prod(SHAPE[:-1])), np.random.default_rng(0)).reshape(SHAPE)
    x = _t(x0)
    T = 1000
    for t in sched.timesteps:
        out = as_torch(model)(x, t)
        theirs = sched.step(out, t, x).prev_sample
        t_from = int(t) - T // S
        ab_from = ab[t_from] if t_from >= 0 else float(sched.initial_alpha_cumprod)
        ours_step = ddim_step(x.numpy(), out.numpy(), ab_from, ab[t], prediction_type=prediction_type)[0]
        conforms(ours_step, theirs)
        x = theirs
    ours = invert(model, x0, ab, timesteps(T, S, "leading"), initial_alpha_bar=1.0 if set_alpha_to_one else ab[0],
                  eval_at="next", prediction_type=prediction_type)
    conforms(ours, x.numpy())


@pytest.mark.parametrize("prediction_type", ["epsilon", "sample", "v_prediction"])
def test_invert_with_clip_equals_ddim_inverse_scheduler_with_clip_sample(f64_scheduler, ring, as_torch,
                                                                         prediction_type, conforms):
    """clip reaches invert as it reaches every sampler: diffusers' default clip_sample=True is reproduced."""
    # set_alpha_to_one=False: x_0 sits at ᾱ_0 < 1, where diffusers' x0-prediction does not divide by √(1 − 1)
    sched = f64_scheduler(DDIMInverseScheduler, clip_sample=True, prediction_type=prediction_type,
                          set_alpha_to_one=False)
    S, T = 20, 1000
    sched.set_timesteps(S)
    ab = sched.alphas_cumprod.numpy()
    eps_model = ring.model(ab)

    def model(x, t):
        a = ab[t]
        x0 = ring.x0_mean(x, a)
        return {"epsilon": eps_model(x, t), "sample": x0,
                "v_prediction": a**0.5 * eps_model(x, t) - (1 - a) ** 0.5 * x0}[prediction_type]

    x0 = ring.sample(int(np.prod(SHAPE[:-1])), np.random.default_rng(1)).reshape(SHAPE)  # radius 2: clipping acts
    x = _t(x0)
    for t in sched.timesteps:
        x = sched.step(as_torch(model)(x, t), t, x).prev_sample
    common = dict(eval_at="next", prediction_type=prediction_type, final_alpha_bar=ab[0])
    ours = invert(model, x0, ab, timesteps(T, S, "leading"), clip=1.0, **common)
    conforms(ours, x.numpy())
    assert not np.allclose(ours, invert(model, x0, ab, timesteps(T, S, "leading"), **common))  # clipping acted
