"""The torch mirror equals the NumPy reference on the same inputs and the same noise.

Relative error max|torch − numpy| / max|numpy| ≤ 1e-12 in float64 and ≤ 1e-5 in float32 (both
sides in the same dtype), per step and over whole sampling loops, with an exact (analytic) model
and with a small random U-Net driving both sides.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ddim_ref as dr  # noqa: E402
from ddim_ref.torch import ddim as tdim  # noqa: E402
from ddim_ref.torch.unet import UNet, UNetConfig  # noqa: E402

torch.set_num_threads(1)
T = 1000
ALPHA_BARS = dr.alpha_bars(dr.beta_schedule("linear", T))
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}
NP_DTYPE = {torch.float64: np.float64, torch.float32: np.float32}


def rel_err(a, b):
    a = a.detach().double().numpy() if torch.is_tensor(a) else np.asarray(a)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def to_torch(a, dtype):
    return torch.from_numpy(np.asarray(a)).to(dtype)


class SameNoise:
    """NumPy-side rng that draws exactly what ``TorchNoise`` draws (same seed, same dtype), as arrays."""

    def __init__(self, seed, dtype):
        self.generator, self.dtype = torch.Generator().manual_seed(seed), dtype

    def standard_normal(self, like):
        return torch.randn(np.shape(like), generator=self.generator, dtype=self.dtype).numpy()


def test_the_mirror_reuses_the_reference_functions():
    assert tdim.ddim_step is dr.ddim_step and tdim.ddpm_step is dr.ddpm_step


# ---------------------------------------------------------------- one step
STEP_CASES = [dict(kind="ddim", eta=eta, prediction_type=p) for p in dr.PREDICTION_TYPES for eta in (0.0, 0.5, 1.0)]
STEP_CASES += [dict(kind="ddim", eta=0.5, clip=1.0), dict(kind="ddim", eta=0.0, threshold=0.9),
               dict(kind="ddim", eta=0.0, clip=1.0, use_clipped_model_output=True), dict(kind="ddim", sigma_hat=True),
               dict(kind="ddpm", variance="small"), dict(kind="ddpm", variance="large"),
               dict(kind="ddpm", variance="small", prediction_type="v_prediction", clip=1.0)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", STEP_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("t,t_prev", [(999, 949), (500, 480), (20, -1)])
def test_one_step_matches_numpy(case, dtype, t, t_prev):
    case = dict(case)
    step = dr.ddim_step if case.pop("kind") == "ddim" else dr.ddpm_step
    rng = np.random.default_rng(t)
    x_t, out, noise = (rng.standard_normal((4, 1, 8, 8)).astype(NP_DTYPE[dtype]) for _ in range(3))
    x_t = 1.5 * x_t  # some x0̂ beyond [−1, 1], so clipping and thresholding act
    ab_t, ab_prev = float(ALPHA_BARS[t]), 1.0 if t_prev < 0 else float(ALPHA_BARS[t_prev])
    ref_x, ref_x0 = step(x_t, out, ab_t, ab_prev, noise=noise, **case)
    x, x0 = step(*(to_torch(a, dtype) for a in (x_t, out)), ab_t, ab_prev, noise=to_torch(noise, dtype), **case)
    assert x.dtype == dtype and ref_x.dtype == NP_DTYPE[dtype]
    assert rel_err(x, ref_x) <= TOL[dtype] and rel_err(x0, ref_x0) <= TOL[dtype]


# ---------------------------------------------------------------- whole loops
def analytic_models():
    """The exact ε of the ring mixture (float64 inside, returned in the input's dtype), for arrays and tensors."""
    eps = dr.analytic.toy_mixture("ring").model(ALPHA_BARS)

    def np_model(x, t):
        return eps(x, t).astype(x.dtype)

    def torch_model(x, t):
        return torch.from_numpy(eps(x.detach().numpy(), t)).to(x.dtype)

    return np_model, torch_model


def unet_models():
    """A small random U-Net in float64 and float32, as ``model(x, t)`` for arrays and for tensors."""
    torch.manual_seed(0)
    net = UNet(UNetConfig(image_size=8, base_channels=8, channel_mults=(1, 2), groups=4, num_heads=2)).double().eval()
    with torch.no_grad():  # make the random output layer speak up (it is small at init)
        net.conv_out.weight.mul_(20)
    nets = {torch.float64: net, torch.float32: UNet(net.config).float().eval()}
    nets[torch.float32].load_state_dict(net.state_dict())
    models = {dtype: tdim.as_model(n) for dtype, n in nets.items()}

    def np_model(x, t):
        return models[torch.float64 if x.dtype == np.float64 else torch.float32](torch.from_numpy(x), t).numpy()

    return np_model, lambda dtype: models[dtype]


LOOPS = [("ddim", dict(eta=0.0)), ("ddim", dict(eta=1.0)), ("ddim", dict(eta=0.5, clip=1.0)), ("ddpm", {}),
         ("ddpm", dict(variance="large")), ("invert", {})]


def run_both(kind, kwargs, np_model, torch_model, x_np, tau, dtype, seed=7):
    """(torch result, numpy result) of one loop, both drawing noise from torch.Generator(seed)."""
    x_np = x_np.astype(NP_DTYPE[dtype])
    x = to_torch(x_np, dtype)
    if kind == "ddim":
        got = tdim.sample(torch_model, x, ALPHA_BARS, tau, rng=torch.Generator().manual_seed(seed), **kwargs)
        ref = dr.sample(np_model, x_np, ALPHA_BARS, tau, rng=SameNoise(seed, dtype), **kwargs)
    elif kind == "ddpm":
        got = tdim.sample_ddpm(torch_model, x, ALPHA_BARS, tau, rng=torch.Generator().manual_seed(seed), **kwargs)
        ref = dr.sample_ddpm(np_model, x_np, ALPHA_BARS, tau, rng=SameNoise(seed, dtype), **kwargs)
    else:
        got = tdim.invert(torch_model, x, ALPHA_BARS, tau, **kwargs)
        ref = dr.invert(np_model, x_np, ALPHA_BARS, tau, **kwargs)
    assert got.dtype == dtype and ref.dtype == NP_DTYPE[dtype]
    return got, ref


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind,kwargs", LOOPS, ids=[f"{k}-{v}" for k, v in LOOPS])
def test_whole_loop_with_analytic_model(kind, kwargs, dtype):
    np_model, torch_model = analytic_models()
    tau = np.arange(T)[::-1] if kind == "ddpm" and not kwargs else dr.timesteps(T, 50, "trailing")  # DDPM: all T once
    x = np.random.default_rng(1).standard_normal((64, 2))
    if kind == "invert":
        x = dr.analytic.toy_mixture("ring").sample(64, np.random.default_rng(1))
    got, ref = run_both(kind, kwargs, np_model, torch_model, x, tau, dtype)
    assert got.dtype == dtype and rel_err(got, ref) <= TOL[dtype]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind,kwargs", LOOPS, ids=[f"{k}-{v}" for k, v in LOOPS])
def test_whole_loop_with_random_unet(kind, kwargs, dtype):
    np_model, torch_model = unet_models()
    tau = dr.timesteps(T, 50 if kind == "ddpm" else 20, "trailing")
    x = np.random.default_rng(2).standard_normal((2, 1, 8, 8))
    got, ref = run_both(kind, kwargs, np_model, torch_model(dtype), x, tau, dtype)
    assert got.dtype == dtype and rel_err(got, ref) <= TOL[dtype]


def test_trajectories_match_state_by_state():
    np_model, torch_model = unet_models()
    tau = dr.timesteps(T, 10, "linspace")
    x = np.random.default_rng(3).standard_normal((2, 1, 8, 8))
    got = tdim.sample(torch_model(torch.float64), to_torch(x, torch.float64), ALPHA_BARS, tau, eta=1.0,
                      rng=torch.Generator().manual_seed(5), return_trajectory=True)
    ref = dr.sample(np_model, x, ALPHA_BARS, tau, eta=1.0, rng=SameNoise(5, torch.float64), return_trajectory=True)
    assert got.x.shape == ref.x.shape == (11, 2, 1, 8, 8)
    for a, b in zip(got.x[1:], ref.x[1:], strict=True):
        assert rel_err(a, b) <= 1e-12
    assert rel_err(got.x0_hat, ref.x0_hat) <= 1e-12 and np.array_equal(got.alpha_bar, ref.alpha_bar)


# ---------------------------------------------------------------- the DDIM module
def test_ddim_module_equals_reference_sample():
    torch.manual_seed(0)
    net = UNet(UNetConfig(image_size=8, base_channels=8, channel_mults=(1, 2), groups=4, num_heads=2)).double().eval()
    module = tdim.DDIM(net, "linear", 100)  # T = 100 keeps the all-steps case quick
    x = np.random.default_rng(4).standard_normal((2, 1, 8, 8))
    model = tdim.as_model(net)

    def np_net(a, t):
        return model(torch.from_numpy(a), t).numpy()

    alpha_bars = dr.alpha_bars(dr.beta_schedule("linear", 100))
    for eta, num_steps, spacing in [(0.0, 25, "trailing"), (1.0, 10, "leading"), (0.0, None, "trailing")]:
        S = 100 if num_steps is None else num_steps
        got = module(to_torch(x, torch.float64), eta=eta, num_steps=num_steps, spacing=spacing,
                     generator=torch.Generator().manual_seed(9))
        ref = dr.sample(np_net, x, alpha_bars, dr.timesteps(100, S, spacing), eta=eta, rng=SameNoise(9, torch.float64))
        assert rel_err(got, ref) <= 1e-12


def test_ddim_module_input_errors():
    net = UNet(UNetConfig(image_size=8, base_channels=8, channel_mults=(1, 2), groups=4, num_heads=2))
    with pytest.raises(ValueError):
        tdim.DDIM(net, dr.beta_schedule("linear", 100), T=50)
    with pytest.raises(ValueError):
        tdim.DDIM(net, "linear")
    module = tdim.DDIM(net, "linear", 100)
    x = torch.randn(1, 1, 8, 8)
    for bad in [dict(num_steps=0), dict(num_steps=101), dict(eta=-0.1), dict(eta=float("nan")), dict(spacing="x")]:
        with pytest.raises(ValueError):
            module(x, **bad)
    with pytest.raises(ValueError, match="rng"):
        module(x, eta=1.0, num_steps=5)  # noise needs an explicit generator
