"""Published diffusers models under the reference samplers, proven equal to diffusers on a real (tiny) network.

A randomly initialised ``UNet2DModel`` and a ``DDIMScheduler`` config are saved with
``save_pretrained`` and loaded back by ``ddim_ref.torch.load_diffusers``.
"""
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel

from ddim_ref.cli import main
from ddim_ref.torch import load_diffusers
from ddim_ref.torch.pretrained import as_model, sample_shape

torch.set_num_threads(1)
SHAPE = (2, 3, 8, 8)


def _unet():
    torch.manual_seed(0)
    return UNet2DModel(sample_size=8, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(8, 16),
                       norm_num_groups=4, down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D"))


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    """A pipeline folder (model_index.json, unet/, scheduler/) as DDIMPipeline.save_pretrained writes it."""
    path = tmp_path_factory.mktemp("pipeline")
    DDIMPipeline(unet=_unet(), scheduler=DDIMScheduler(num_train_timesteps=1000)).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def bare_dir(tmp_path_factory):
    """A bare UNet2DModel folder with scheduler_config.json beside its config.json."""
    path = tmp_path_factory.mktemp("bare")
    _unet().save_pretrained(path)
    DDIMScheduler(num_train_timesteps=1000, prediction_type="epsilon", clip_sample=False).save_pretrained(path)
    return path


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / np.abs(b).max())


class Replay:
    def __init__(self, noises):
        self.noises = iter(noises)

    def standard_normal(self, like):
        return next(self.noises)


@torch.no_grad()
def _diffusers_loop(sched, unet, x_T, S, eta, noises):
    sched.set_timesteps(S)
    x = x_T.clone()
    for i, t in enumerate(sched.timesteps):
        x = sched.step(unet(x, t).sample, t, x, eta=eta, variance_noise=noises[i]).prev_sample
    return x


@pytest.mark.parametrize("folder", ["pipeline_dir", "bare_dir"])
def test_both_layouts_load_the_same_network_and_the_schedulers_settings(folder, request, pipeline_dir):
    model, config = load_diffusers(request.getfixturevalue(folder))
    reference = UNet2DModel.from_pretrained(pipeline_dir / "unet")
    x = torch.randn(SHAPE, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(model(x, 500).numpy(), reference(x, 500).sample.detach().numpy())
    assert sample_shape(model) == (3, 8, 8) and config.num_train_steps == 1000
    assert config.clip == (1.0 if folder == "pipeline_dir" else None) and config.final_alpha_bar == 1.0
    np.testing.assert_allclose(config.alpha_bars, DDIMScheduler().alphas_cumprod.numpy(), rtol=1e-6)


@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("spacing, S", [("leading", 10), ("trailing", 20), ("leading", 7)])
def test_the_reference_loop_equals_diffusers_loop_in_float64(pipeline_dir, eta, spacing, S):
    """Same unet, same x_T and noise, float64 throughout, and the same ᾱ on both sides: ≤ 1e-12 relative."""
    model, config = load_diffusers(pipeline_dir, dtype=torch.float64)
    sched = DDIMScheduler.from_pretrained(pipeline_dir / "scheduler", timestep_spacing=spacing)
    sched.alphas_cumprod = torch.from_numpy(config.alpha_bars)  # our float64 ᾱ, so only the loops can differ
    sched.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    x_T = torch.randn(SHAPE, generator=g, dtype=torch.float64)
    noises = [torch.randn(SHAPE, generator=g, dtype=torch.float64) for _ in range(S)]
    theirs = _diffusers_loop(sched, model.network, x_T, S, eta, noises)
    config = replace(config, timestep_spacing=spacing)
    ours = config.sample(model, x_T, S, eta=eta, rng=Replay(noises))
    assert _rel(ours, theirs) <= 1e-12


def test_large_batches_go_through_the_unet_in_chunks(pipeline_dir):
    """A 50,000-image Table 1 run must not meet the unet as one batch: chunks, each sample's output its own."""
    model, _ = load_diffusers(pipeline_dir, dtype=torch.float64)
    sizes = []
    hook = model.network.register_forward_pre_hook(lambda module, args: sizes.append(len(args[0])))
    x = torch.randn((5, 3, 8, 8), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    chunked = as_model(model.network, chunk=2)(x, 10)
    hook.remove()
    assert sizes == [2, 2, 1]
    np.testing.assert_allclose(chunked, model(x, 10), rtol=1e-12, atol=1e-12)


def test_at_eta_0_it_equals_ddim_pipeline_with_the_same_generator(pipeline_dir):
    """DDIMPipeline's first draw is x_T; its output is (x + 1) / 2 clipped to [0, 1], channels last."""
    pipe = DDIMPipeline.from_pretrained(pipeline_dir)
    pipe.set_progress_bar_config(disable=True)
    images = pipe(batch_size=2, generator=torch.Generator().manual_seed(5), num_inference_steps=10, eta=0.0,
                  output_type="np").images
    model, config = load_diffusers(pipeline_dir)
    x_T = torch.randn((2, 3, 8, 8), generator=torch.Generator().manual_seed(5))
    ours = ((config.sample(model, x_T, 10) + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(ours, images, atol=2e-5)  # float32 on both sides; diffusers' ᾱ is float32


def test_where_diffusers_stride_is_wrong_the_loops_differ_and_the_stride_explains_it(pipeline_dir):
    """linspace spacing: DDIMScheduler.step goes to t − T//S, not to the next element of τ."""
    model, config = load_diffusers(pipeline_dir, dtype=torch.float64)
    sched = DDIMScheduler.from_pretrained(pipeline_dir / "scheduler", timestep_spacing="linspace")
    sched.alphas_cumprod = torch.from_numpy(config.alpha_bars)
    sched.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    x_T = torch.randn(SHAPE, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    theirs = _diffusers_loop(sched, model.network, x_T, 7, 0.0, [None] * 7)
    linspace = replace(config, timestep_spacing="linspace")
    tau = linspace.timesteps(7)
    np.testing.assert_array_equal(tau, sched.timesteps.numpy())  # the same timesteps …
    ours = linspace.sample(model, x_T, 7)
    assert _rel(ours, theirs) > 1e-3  # … but other levels
    # stepping to t − T//S, as diffusers does, reproduces it exactly
    x = x_T
    from ddim_ref import ddim_step

    ab = config.alpha_bars
    for t in tau:
        prev = ab[t - 1000 // 7] if t - 1000 // 7 >= 0 else 1.0
        x = ddim_step(x, model(x, int(t)), float(ab[t]), float(prev), clip=1.0)[0]
    assert _rel(x, theirs) <= 1e-12


def test_sample_command_samples_a_diffusers_folder(pipeline_dir, tmp_path, capsys):
    out = tmp_path / "s.npy"
    assert main(["sample", "--diffusers", str(pipeline_dir), "--steps", "4", "--eta", "0.5", "--num", "3",
                 "--out", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (3, 3, 8, 8) and x.min() >= 0 and x.max() <= 1 and out.with_suffix(".png").is_file()
    assert "3 samples, ddim S=4" in capsys.readouterr().out


def test_bad_folders_are_refused_in_one_line_and_no_code_runs(tmp_path, pipeline_dir, capsys):
    import shutil

    broken = tmp_path / "no_scheduler"
    shutil.copytree(pipeline_dir / "unet", broken)
    cond = tmp_path / "cond"
    shutil.copytree(pipeline_dir, cond)
    (cond / "unet" / "config.json").write_text((cond / "unet" / "config.json").read_text()
                                                .replace('"UNet2DModel"', '"UNet2DConditionModel"'))
    evil = tmp_path / "evil"
    shutil.copytree(pipeline_dir, evil)
    for weights in (evil / "unet").glob("diffusion_pytorch_model.*"):
        weights.unlink()

    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "was_executed"), "w"))

    (evil / "unet" / "diffusion_pytorch_model.bin").write_bytes(pickle.dumps(Payload()))
    for folder, message in ((tmp_path / "missing", "not found"), (broken, "scheduler_config.json is missing"),
                            (cond, "only UNet2DModel"), (evil, "no readable weights")):
        with pytest.raises(ValueError, match=message):
            load_diffusers(folder)
        code = main(["sample", "--diffusers", str(folder), "--out", str(tmp_path / "x.png")])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "was_executed").exists() and not (tmp_path / "x.png").exists()


def test_without_diffusers_the_loader_says_what_to_install(pipeline_dir, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "diffusers", None)
    with pytest.raises(ValueError, match="pip install diffusers"):
        load_diffusers(pipeline_dir)


def test_bench_times_own_work_on_the_same_maths_as_the_pipeline():
    """bench --pipeline: around the free network, the loop and DDIMPipeline compute the same images."""
    from ddim_ref.cli.bench import _free_unet2d, _pipeline_timings
    from ddim_ref.interop import from_diffusers_config

    unet = _unet().eval()
    free = _free_unet2d(unet, torch.randn(SHAPE, generator=torch.Generator().manual_seed(1)))
    pipe = DDIMPipeline(unet=free, scheduler=DDIMScheduler(num_train_timesteps=1000))
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=2, generator=torch.Generator().manual_seed(0), num_inference_steps=5, eta=0.0,
                  output_type="np").images
    config = from_diffusers_config(dict(pipe.scheduler.config))
    ours = config.sample(as_model(free), torch.randn(SHAPE, generator=torch.Generator().manual_seed(0)), 5)
    np.testing.assert_allclose(((ours + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy(), theirs, atol=1e-5)
    name, bare, loop, pipeline, loop_own, pipeline_own = _pipeline_timings("tiny", unet, 3, 2, 1)
    assert 0 < loop_own < loop and 0 < pipeline_own < pipeline  # the free network costs less than the real one
