"""Checkpoints round-trip exactly, never execute code from the file, and refuse anything else clearly."""
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ddim_ref.cli import main  # noqa: E402
from ddim_ref.torch.checkpoint import FORMAT, load_checkpoint, save_checkpoint  # noqa: E402
from ddim_ref.torch.ddim import DDIM  # noqa: E402
from ddim_ref.torch.unet import MLP, MLPConfig, UNet, UNetConfig  # noqa: E402

torch.set_num_threads(1)
CONFIG = {"schedule": {"name": "linear", "T": 100, "beta_start": 1e-4, "beta_end": 0.02}, "prediction_type": "epsilon"}
TINY = UNetConfig(base_channels=8, channel_mults=(1, 2), groups=4, num_heads=2, image_size=8)


class Payload:
    """An object whose unpickling would run code: touches a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    network = UNet(TINY)
    return network, save_checkpoint(tmp_path / "net.pt", network, CONFIG, steps=7)


def test_round_trip_gives_identical_outputs(saved):
    network, path = saved
    loaded, config = load_checkpoint(path)
    x, t = torch.randn(3, 1, 8, 8), torch.tensor([0, 50, 99])
    assert torch.equal(network.eval()(x, t), loaded(x, t))
    assert config["model"]["kind"] == "unet" and config["model"]["base_channels"] == TINY.base_channels
    assert config["schedule"] == CONFIG["schedule"] and not loaded.training


def test_mlp_round_trip_and_ddim_from_checkpoint(tmp_path):
    torch.manual_seed(0)
    network = MLP(MLPConfig(hidden=16, num_layers=2))
    path = save_checkpoint(tmp_path / "mlp.pt", network, CONFIG)
    ddim = DDIM.from_checkpoint(path)
    x_T = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ddim.network.double()
    assert ddim.T == 100 and np.allclose(ddim.alpha_bars[-1], np.prod(1 - np.linspace(1e-4, 0.02, 100)))
    assert ddim(x_T, num_steps=10).shape == (5, 2)


def test_save_is_atomic_and_leaves_no_temp_files(saved, tmp_path):
    network, path = saved
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_checkpoint(path, torch.nn.Linear(2, 2), CONFIG)  # not checkpointable: file untouched
    assert path.read_bytes() == before
    save_checkpoint(path, network, CONFIG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.pt"]


def test_pickle_payload_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "was_executed"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "config": CONFIG, "state_dict": {}, "x": Payload(str(marker))}, path)
    with pytest.raises(ValueError, match="not a readable ddim_ref checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()
    # a raw pickle (not torch's zip format) with the same payload
    path.write_bytes(pickle.dumps(Payload(str(marker))))
    with pytest.raises(ValueError, match="not a readable ddim_ref checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_and_random_files_are_refused(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    for name, content in [("truncated.pt", data[: len(data) // 2]), ("random.pt", np.random.default_rng(0).bytes(4096)),
                          ("empty.pt", b"")]:
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="not a readable ddim_ref checkpoint"):
            load_checkpoint(bad)


def test_wrong_contents_are_refused(saved, tmp_path):
    network, _ = saved
    cases = {
        "plain.pt": {"state_dict": network.state_dict()},  # no format tag
        "mismatch.pt": {"format": FORMAT, "config": {**CONFIG, "model": {"kind": "unet", "base_channels": 16}},
                        "state_dict": network.state_dict()},
        "kind.pt": {"format": FORMAT, "config": {**CONFIG, "model": {"kind": "resnet"}}, "state_dict": {}},
    }
    for name, payload in cases.items():
        torch.save(payload, tmp_path / name)
        with pytest.raises(ValueError):
            load_checkpoint(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


@pytest.mark.parametrize("content", [None, b"", b"\x00garbage", "pickle"])
def test_sample_command_refuses_bad_checkpoints_in_one_line(tmp_path, capsys, content):
    path = tmp_path / "bad.pt"
    if content == "pickle":
        path.write_bytes(pickle.dumps(Payload(str(tmp_path / "was_executed"))))
    elif content is not None:
        path.write_bytes(content)
    code = main(["sample", "--checkpoint", str(path), "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and str(path) in err
    assert not (tmp_path / "was_executed").exists() and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--steps", "-3"], ["--steps", "ten"], ["--steps", "1001"],
                                  ["--eta", "-0.5"], ["--eta", "nan"], ["--num", "0"], ["--spacing", "odd"],
                                  ["--sampler", "euler"]])
def test_sample_command_refuses_bad_numbers_in_one_line(tmp_path, capsys, argv):
    code = main(["sample", *argv, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("error: ") and argv[0] in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("sampler, options", [("ddim", ["--eta", "0.5"]), ("ddpm", []), ("heun", [])])
def test_sample_command_writes_a_grid_from_the_shipped_checkpoint(tmp_path, capsys, sampler, options):
    out = tmp_path / "grid.png"
    assert main(["sample", "--sampler", sampler, "--steps", "3", *options, "--num", "6", "--out", str(out)]) == 0
    assert out.stat().st_size > 0 and f"6 samples, {sampler} S=3" in capsys.readouterr().out


def test_sample_command_refuses_eta_for_a_sampler_without_one(tmp_path, capsys):
    code = main(["sample", "--sampler", "ddpm", "--eta", "0.5", "--out", str(tmp_path / "x.png")])
    assert code == 2 and "--eta applies to" in capsys.readouterr().err and not (tmp_path / "x.png").exists()
