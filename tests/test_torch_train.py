"""The trainer: shapes, the EMA warmup recursion, the schedule, exact resumption, learning, bad input."""
import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ddim_ref as dr  # noqa: E402
from ddim_ref.cli import main as cli_main  # noqa: E402
from ddim_ref.torch.checkpoint import load_checkpoint, read_checkpoint  # noqa: E402
from ddim_ref.torch.train import TrainConfig, ema_warmup_avg_fn, lr_factor, train  # noqa: E402
from ddim_ref.torch.unet import MLP, MLPConfig, UNet, UNetConfig, count_parameters  # noqa: E402

torch.set_num_threads(1)


def tiny(tmp_path, **kw):
    base = dict(data="gmm:ring", steps=20, batch_size=32, warmup=5, mlp_hidden=32, checkpoint_every=7,
                out=str(tmp_path / "run"), threads=1, progress=False)
    return TrainConfig(**{**base, **kw})


def test_networks_map_a_batch_to_its_own_shape():
    net = UNet(UNetConfig())
    assert 0.45e6 <= count_parameters(net) <= 1.5e6  # the issue's ≈ 0.5–1.5 M for 1×16×16 (default: 0.50 M)
    x, t = torch.randn(3, 1, 16, 16), torch.tensor([0, 500, 999])
    assert net(x, t).shape == x.shape
    assert MLP(MLPConfig())(torch.randn(5, 2), torch.arange(5)).shape == (5, 2)


def test_ema_follows_the_warmup_recursion():
    """AveragedModel with our avg fn: w_ema ← d_n w_ema + (1 − d_n) w after n updates, d_n = min(0.99, (1+n)/(10+n))."""
    net = torch.nn.Linear(3, 1, bias=False)
    ema = torch.optim.swa_utils.AveragedModel(net, multi_avg_fn=ema_warmup_avg_fn(0.99))
    expected = None
    for n, value in enumerate(np.linspace(1, 5, 600)):
        net.weight.data.fill_(value)
        ema.update_parameters(net)
        d = min(0.99, (1 + n) / (10 + n))
        expected = value if n == 0 else d * expected + (1 - d) * value
    assert ema.n_averaged.item() == 600
    assert np.allclose(ema.module.weight.detach().numpy(), expected, rtol=1e-5)


def test_learning_rate_warms_up_then_decays_to_zero():
    for decay in ("cosine", "linear"):
        f = lr_factor(TrainConfig(steps=110, warmup=10, decay=decay))
        assert [f(s) for s in range(10)] == pytest.approx(np.arange(1, 11) / 10)
        assert f(10) == pytest.approx(1) and f(110) == pytest.approx(0, abs=1e-12)
        assert f(60) == pytest.approx(0.5)  # half-way: cos(π/2) and the linear midpoint agree
        assert all(f(s) >= f(s + 1) for s in range(10, 110))


@pytest.mark.parametrize("kw", [dict(), dict(data="digits", base_channels=8, channel_mults=(1, 2), batch_size=4,
                                             steps=6, checkpoint_every=2, prediction_type="v_prediction")],
                         ids=["mlp", "unet-v"])
def test_resume_continues_bitwise(tmp_path, kw):
    straight, straight_ema = train(tiny(tmp_path / "a", **kw))
    cfg = tiny(tmp_path / "b", **kw)
    train(cfg, stop_at=cfg.steps // 2)
    assert read_checkpoint(f"{cfg.out}/ckpt.pt")["train_state"]["step"] == cfg.steps // 2
    resumed, resumed_ema = train(cfg, resume=True)
    for a, b in [(straight, resumed), (straight_ema, resumed_ema)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(p, q), name
    a, b = (read_checkpoint(f"{d}/ckpt.pt")["train_state"]["optimizer"]["state"] for d in (tmp_path / "a/run", cfg.out))
    assert all(torch.equal(a[k]["exp_avg_sq"], b[k]["exp_avg_sq"]) for k in a)


def test_resume_refuses_a_different_run(tmp_path):
    cfg = tiny(tmp_path, steps=4)
    train(cfg)
    with pytest.raises(ValueError, match="lr"):
        train(dataclasses.replace(cfg, lr=1e-3), resume=True)
    with pytest.raises(FileNotFoundError):
        train(dataclasses.replace(cfg, out=str(tmp_path / "nothing")), resume=True)


def test_training_learns_the_exact_denoiser(tmp_path):
    """After a short run the EMA MLP's ε̂ is much closer to the exact E[ε | x_t] than at initialisation."""
    cfg = tiny(tmp_path, steps=300, batch_size=256, lr=3e-3, warmup=20, mlp_hidden=64)
    train(cfg)
    trained, config = load_checkpoint(f"{cfg.out}/model.pt")
    torch.manual_seed(cfg.seed)
    untrained = MLP(trained.config)
    mixture = dr.analytic.toy_mixture("ring")
    alpha_bars = dr.alpha_bars(dr.schedules.beta_schedule(config["schedule"]["name"], config["schedule"]["T"]))
    rng = np.random.default_rng(5)
    errors = {"trained": 0.0, "untrained": 0.0}
    for t in (300, 700):  # (at t = 50 the sharp modes take longer than a test run)
        x0 = mixture.sample(512, rng)
        x_t = dr.q_sample(x0, alpha_bars[t], rng.standard_normal(x0.shape))
        exact = mixture.eps(x_t, alpha_bars[t])
        for name, net in [("trained", trained), ("untrained", untrained)]:
            with torch.no_grad():
                out = net(torch.from_numpy(x_t).float(), torch.full((512,), t)).double().numpy()
            errors[name] += np.mean((out - exact) ** 2)
    assert errors["trained"] < errors["untrained"] / 5, errors


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--data", "gmm:nothing"], ["--prediction-type", "x"],
                                  ["--lr", "nan"], ["--channel-mults", "1,a"], ["--decay", "step"]])
def test_bad_train_options_exit_2_in_one_line(tmp_path, capsys, argv):
    assert cli_main(["train", "--out", str(tmp_path / "run"), "--no-progress", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert not (tmp_path / "run").exists()



def test_min_snr_weights_follow_hang_et_al():
    """w = min(SNR, γ)/SNR for ε, min(SNR, γ) for x0, min(SNR, γ)/(SNR + 1) for v; 1 everywhere without weighting."""
    from ddim_ref.torch.train import loss_weight

    ab = torch.tensor([0.999, 0.9, 0.5, 0.1, 0.001], dtype=torch.float64)
    snr = ab / (1 - ab)
    clipped = torch.minimum(snr, torch.tensor(5.0, dtype=torch.float64))
    expected = {"epsilon": clipped / snr, "sample": clipped, "v_prediction": clipped / (snr + 1)}
    for prediction_type, w in expected.items():
        cfg = TrainConfig(loss_weighting="min_snr", min_snr_gamma=5.0, prediction_type=prediction_type)
        torch.testing.assert_close(loss_weight(ab, cfg), w)
    assert torch.equal(loss_weight(ab, TrainConfig()), torch.ones_like(ab))
    assert float(expected["epsilon"][0]) < 1 == float(expected["epsilon"][-1])  # only the low-noise end is damped


def test_label_dropout_replaces_labels_by_the_null_label_at_rate_p_uncond():
    from ddim_ref.torch.train import NUM_DIGIT_CLASSES, draw_batch

    data, labels = torch.zeros(100, 1, 4, 4), torch.arange(100) % 10
    g = torch.Generator().manual_seed(0)
    _, _, _, y = draw_batch(data, 1000, 20_000, g, labels, p_uncond=0.25)
    dropped = (y == NUM_DIGIT_CLASSES).double().mean().item()
    assert abs(dropped - 0.25) < 0.01 and set(y.unique().tolist()) == set(range(11))
    assert draw_batch(data, 1000, 8, g)[3] is None  # unconditional data draw no labels (and no extra randoms)


def test_a_class_conditional_unet_trains_and_its_label_changes_the_output(tmp_path):
    cfg = TrainConfig(data="digits", class_conditional=True, p_uncond=0.2, steps=3, batch_size=8, base_channels=8,
                      channel_mults=(1, 2), warmup=1, out=str(tmp_path / "run"), threads=1, progress=False)
    train(cfg)
    from ddim_ref.torch import DDIM

    ddim = DDIM.from_checkpoint(tmp_path / "run" / "model.pt")
    assert ddim.num_classes == 10
    x = torch.randn((4, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    outputs = [ddim.guided_model(label)(x, 500) for label in (None, 3, 7)]
    assert not torch.allclose(outputs[0], outputs[1]) and not torch.allclose(outputs[1], outputs[2])
    guided = ddim.guided_model(3, 2.5)(x, 500)
    torch.testing.assert_close(guided, outputs[0] + 2.5 * (outputs[1] - outputs[0]))  # the core's CFG, reused
    with pytest.raises(ValueError, match=r"label must lie in \[0, 9\]"):
        ddim.guided_model(10)
    with pytest.raises(ValueError, match="unconditional"):
        DDIM.from_checkpoint().guided_model(3)
    with pytest.raises(ValueError, match="class_conditional needs labelled data"):
        TrainConfig(data="gmm:ring", class_conditional=True)
