"""``python -m ddim_ref demo``: a reduced run writes its figures and table; bad input is one line and exit code 2."""
import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
from ddim_ref.cli import main  # noqa: E402
from ddim_ref.torch import DDIM, UNet, UNetConfig, save_checkpoint  # noqa: E402
from ddim_ref.torch.metrics import evaluate, to_images  # noqa: E402

torch.set_num_threads(1)
SCHEDULE = {"name": "linear", "T": 1000, "beta_start": 1e-4, "beta_end": 0.02}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """An untrained U-Net small enough to sample in milliseconds: the demo's plumbing, not its quality."""
    torch.manual_seed(0)
    net = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2), num_heads=1, groups=4))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", net,
                           {"schedule": SCHEDULE, "prediction_type": "epsilon"})


@pytest.fixture(scope="module")
def quick_run(tiny_checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    code = main(["demo", "--checkpoint", str(tiny_checkpoint), "--num", "16", "--quick", "--seeds", "3,4",
                 "--threads", "1", "--out", str(out)])
    with open(out / "table.csv") as f:
        rows = list(csv.DictReader(f))
    return code, out, rows


def test_quick_run_writes_figures_and_table(quick_run):
    code, out, rows = quick_run
    assert code == 0
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["digits_ddim_eta0_S10.png", "digits_ddpm_eta1_S10.png", "toy2d_trajectories.png"]
    assert all((out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert {"sampler", "eta", "steps", "n", "seeds", "wall_s", "metric", "value", "sd", "floor", "floor_sd", "ratio",
            "noisy"} <= set(rows[0])
    md = (out / "table.md").read_text().splitlines()
    assert len(md) == 2 + len(rows) and all(line.startswith("|") for line in md)


def test_table_rows_are_the_settings_run(quick_run):
    _, _, rows = quick_run
    digits = [r for r in rows if r["data"] == "digits"]
    assert [(r["sampler"], float(r["eta"]), int(r["steps"]), int(r["n"]), int(r["seeds"])) for r in digits] == [
        ("DDIM", 0.0, 10, 16, 2), ("DDPM", 1.0, 10, 16, 2)]
    toy = [r for r in rows if r["data"] != "digits"]
    assert [(r["sampler"], int(r["steps"])) for r in toy] == [("DDIM", 10), ("DDIM", 50), ("DDPM", 100)]
    for r in rows:
        value, floor, wall = float(r["value"]), float(r["floor"]), float(r["wall_s"])
        assert np.isfinite(value) and floor > 0 and wall > 0
        assert float(r["ratio"]) == pytest.approx(value / floor, rel=1e-12)


def test_the_table_reports_the_fd_of_the_samples_drawn(quick_run, tiny_checkpoint):
    # redraw the DDIM η = 0 setting with the documented protocol: x_T from torch.Generator(seed), per seed
    _, _, rows = quick_run
    ddim = DDIM.from_checkpoint(tiny_checkpoint)
    sets = []
    for seed in (3, 4):
        x_T = torch.randn((16, 1, 16, 16), generator=torch.Generator().manual_seed(seed))
        sets.append(to_images(ddim(x_T, eta=0.0, num_steps=10)).numpy())  # the demo's spacing is the library's
    expected = evaluate(sets, seed=3)
    singles = [evaluate(s, seed=3)["fd"] for s in sets]
    assert float(rows[0]["value"]) == pytest.approx(np.mean(singles), rel=1e-6) == expected["fd"]
    assert float(rows[0]["sd"]) == pytest.approx(np.std(singles, ddof=1), rel=1e-6)
    assert float(rows[0]["floor"]) == pytest.approx(expected["fd_floor"], rel=1e-12)


@pytest.mark.parametrize("argv, message", [
    (["--num", "0"], "argument --num: expected an integer in [2, 1497], got '0'"),
    (["--num", "many"], "argument --num: expected an integer"),
    (["--num", "5000"], "argument --num: expected an integer in [2, 1497]"),
    (["--seeds", "-1"], "argument --seeds: in the list '-1': expected an integer in [0,"),
    (["--threads", "0"], "argument --threads: expected an integer in [1, 256]"),
    (["--checkpoint", "/nonexistent/model.pt"], "argument --checkpoint: not found"),
])
def test_bad_input_is_one_line_and_exit_code_2(argv, message, tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_help_lists_the_options(capsys):
    assert main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(opt in out for opt in ("--out", "--seeds", "--num", "--quick", "--checkpoint"))


def test_bf16_runs_the_network_under_autocast_and_says_so(tiny_checkpoint, tmp_path, quick_run):
    out = tmp_path / "bf16"
    assert main(["demo", "--checkpoint", str(tiny_checkpoint), "--num", "16", "--quick", "--seeds", "3,4",
                 "--threads", "1", "--bf16", "--out", str(out)]) == 0
    with open(out / "table.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["precision"] for r in rows] == ["bfloat16"] * 2 + ["float64"] * 3
    assert [r["precision"] for r in quick_run[2]] == ["float32"] * 2 + ["float64"] * 3
    ddim = DDIM.from_checkpoint(tiny_checkpoint)
    sets = []
    for seed in (3, 4):
        x_T = torch.randn((16, 1, 16, 16), generator=torch.Generator().manual_seed(seed))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            x_0 = ddim(x_T, eta=0.0, num_steps=10)
        assert x_0.dtype == torch.float32  # the loop's arithmetic stays float32
        sets.append(to_images(x_0).numpy())
    assert float(rows[0]["value"]) == pytest.approx(evaluate(sets, seed=3)["fd"], rel=1e-6)
    assert float(rows[0]["value"]) != float(quick_run[2][0]["value"])  # bf16 is not the float32 network
