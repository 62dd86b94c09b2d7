"""from_diffusers_config: a scheduler built from a config dict and our SamplerConfig sample the same thing.

The config is the JSON a diffusers model ships (``scheduler.to_json_string()``). diffusers builds β
and ᾱ in float32; after checking its ᾱ against ours at float32 precision, the scheduler is given
our float64 ᾱ, so the whole loops must then agree to rounding (≤ 1e-12 relative): any difference
left is in the mapping of options (spacing, offset, final level, clipping, prediction type).
"""
import json

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from ddim_ref import SamplerConfig, ddpm_step, from_diffusers_config

SHAPE = (2, 3, 4, 2)

DDIM_CONFIGS = [
    dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, set_alpha_to_one=False, steps_offset=1,
         clip_sample=False),  # Stable Diffusion's
    dict(beta_schedule="linear", clip_sample=True, clip_sample_range=1.0),
    dict(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=True, clip_sample_range=1.5,
         steps_offset=1),
    dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, prediction_type="v_prediction",
         rescale_betas_zero_snr=True, timestep_spacing="trailing", clip_sample=False, set_alpha_to_one=False),
    dict(beta_schedule="linear", prediction_type="sample", thresholding=True, dynamic_thresholding_ratio=0.9,
         sample_max_value=1.5, clip_sample=False),
]
DDPM_CONFIGS = [
    dict(variance_type="fixed_small", clip_sample=True),
    dict(variance_type="fixed_large", beta_schedule="sigmoid", prediction_type="v_prediction", clip_sample=False),
]


def _shipped_json(sched):
    """The config dict as it ships beside a model (scheduler_config.json)."""
    return json.loads(sched.to_json_string())


def _with_our_alpha_bars(sched, cfg: SamplerConfig):
    """Check the scheduler's ᾱ and final level against ``cfg`` at float32 precision, then give it ours in float64."""
    theirs = sched.alphas_cumprod.double().numpy()
    np.testing.assert_allclose(theirs, cfg.alpha_bars, rtol=1e-4, atol=1e-9)
    sched.alphas_cumprod = torch.from_numpy(cfg.alpha_bars)
    if hasattr(sched, "final_alpha_cumprod"):
        assert float(sched.final_alpha_cumprod) == pytest.approx(cfg.final_alpha_bar, rel=1e-6)
        sched.final_alpha_cumprod = torch.tensor(cfg.final_alpha_bar, dtype=torch.float64)
    else:
        sched.one = sched.one.double()
    return sched


def _model(ring, v_model, cfg):
    if cfg.prediction_type == "v_prediction":
        return v_model(ring, cfg.alpha_bars)
    if cfg.prediction_type == "sample":
        return lambda x, t: ring.x0_mean(x, cfg.alpha_bars[t])
    return ring.model(cfg.alpha_bars)


@pytest.mark.parametrize("config", DDIM_CONFIGS)
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_config_samples_the_same(config, eta, ring, v_model, as_torch, replay, conforms):
    shipped = _shipped_json(DDIMScheduler(**config))
    assert shipped["_class_name"] == "DDIMScheduler"
    cfg = from_diffusers_config(shipped)
    sched = _with_our_alpha_bars(DDIMScheduler.from_config(shipped), cfg)
    S = 20  # divides T: "trailing" then steps to the next element too (linspace never does: see conformance)
    sched.set_timesteps(S)
    np.testing.assert_array_equal(cfg.timesteps(S), sched.timesteps.numpy())
    model = _model(ring, v_model, cfg)
    rng = np.random.default_rng(0)
    x_T, noises = rng.standard_normal(SHAPE), rng.standard_normal((S,) + SHAPE)
    x = torch.from_numpy(x_T)
    for t, z in zip(sched.timesteps, noises, strict=True):
        x = sched.step(as_torch(model)(x, t), t, x, eta=eta, variance_noise=torch.from_numpy(z)).prev_sample

    ours = cfg.sample(model, x_T, S, eta=eta, rng=replay(noises) if eta else None)
    conforms(ours, x.numpy())


@pytest.mark.parametrize("config", DDPM_CONFIGS)
def test_ddpm_config_samples_the_same(config, ring, v_model, as_torch, torch_noise, conforms):
    shipped = _shipped_json(DDPMScheduler(**config))
    cfg = from_diffusers_config(shipped)
    assert cfg.sampler == "ddpm" and cfg.variance == config["variance_type"].removeprefix("fixed_")
    sched = _with_our_alpha_bars(DDPMScheduler.from_config(shipped), cfg)
    S = 20
    sched.set_timesteps(S)
    model = _model(ring, v_model, cfg)
    x_T = np.random.default_rng(1).standard_normal(SHAPE)
    x, generator = torch.from_numpy(x_T), torch.Generator().manual_seed(3)
    for t in sched.timesteps:
        x = sched.step(as_torch(model)(x, t), t, x, generator=generator).prev_sample
    ours = cfg.sample(model, x_T, S, rng=torch_noise(3))
    conforms(ours, x.numpy())


def test_ddpm_last_step_onto_data_adds_no_noise_unlike_diffusers_when_it_ends_above_0(ring, as_torch, conforms):
    """DDPM Algorithm 2 sets z = 0 on the step onto data. diffusers adds noise whenever t > 0, so a
    sequence ending at t = 1 (steps_offset=1) gets √β'·z, β' = 1 − ᾱ_1, added on its last step ("fixed_large")."""
    shipped = _shipped_json(DDPMScheduler(variance_type="fixed_large", steps_offset=1, clip_sample=False))
    cfg = from_diffusers_config(shipped)
    sched = _with_our_alpha_bars(DDPMScheduler.from_config(shipped), cfg)
    sched.set_timesteps(10)
    assert int(sched.timesteps[-1]) == 1
    x = torch.from_numpy(np.random.default_rng(2).standard_normal(SHAPE))
    out = as_torch(ring.model(cfg.alpha_bars))(x, 1)
    theirs = sched.step(out, 1, x, generator=torch.Generator().manual_seed(0)).prev_sample.numpy()
    z = torch.randn(SHAPE, generator=torch.Generator().manual_seed(0), dtype=torch.float64).numpy()
    ours = ddpm_step(x.numpy(), out.numpy(), cfg.alpha_bars[1], 1.0, noise=z, variance="large")[0]
    conforms(theirs, ours + (1 - cfg.alpha_bars[1]) ** 0.5 * z)


def test_defaults_follow_diffusers():
    cfg = from_diffusers_config({"_class_name": "DDIMScheduler"})
    sched = DDIMScheduler()
    np.testing.assert_allclose(cfg.alpha_bars, sched.alphas_cumprod.double().numpy(), rtol=1e-4)
    assert (cfg.clip, cfg.final_alpha_bar, cfg.prediction_type, cfg.timestep_spacing, cfg.steps_offset) == (
        sched.config.clip_sample_range, 1.0, sched.config.prediction_type, sched.config.timestep_spacing,
        sched.config.steps_offset)


def test_trained_betas_are_taken_as_given():
    betas = np.linspace(1e-3, 0.05, 40)
    cfg = from_diffusers_config({"_class_name": "DDIMScheduler", "num_train_timesteps": 40,
                                 "trained_betas": betas.tolist()})
    np.testing.assert_array_equal(cfg.betas, betas)


@pytest.mark.parametrize("config, match", [({"_class_name": "EulerDiscreteScheduler"}, "DDIMScheduler"),
                                           ({"beta_schedule": "laplace"}, "beta_schedule"),
                                           ({"_class_name": "DDPMScheduler", "variance_type": "learned"},
                                            "variance_type")])
def test_unsupported_configs_raise(config, match):
    with pytest.raises(ValueError, match=match):
        from_diffusers_config(config)
