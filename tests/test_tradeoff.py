"""The tradeoff command on a tiny run: CSV schema, and what exact models guarantee.

Second order beats DDIM at equal NFE on trailing and quadratic spacing. Not asserted for "leading"
at small S, where it does not hold: the last steps (t = T/S → 0 → clean) are so long in λ that
2M's extrapolation overshoots (results/tradeoff.md shows it).
"""
import math
from itertools import pairwise

import numpy as np
import pytest

from ddim_ref import cli
from ddim_ref.cli import tradeoff

REQUIRED = {"data", "sampler", "eta", "spacing", "steps", "nfe", "metric", "value", "floor"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tradeoff")
    code = cli.main(["tradeoff", "--data", "gaussian,gmm", "--steps", "4,8,16,32", "--eta", "0,1",
                     "--samplers", "ddim,ddpm_large,dpm_solver_2m,heun", "--spacing", "trailing,quadratic",
                     "--num", "200", "--seed", "3", "--quiet", "--out", str(out)])
    assert code == 0
    return out, tradeoff.read_csv(out / "tradeoff.csv")


def _values(rows, **where):
    sel = [r for r in rows if all(r[k] == v for k, v in where.items())]
    return {r["steps"]: r for r in sel}


def test_csv_schema_and_grid(tiny):
    out, rows = tiny
    assert set(rows[0]) >= REQUIRED
    runs = {(r["data"], r["sampler"], r["eta"] if r["eta"] == r["eta"] else None, r["spacing"], r["steps"])
            for r in rows}
    assert len(runs) == 2 * 2 * 4 * (2 + 1 + 1 + 1)  # data × spacing × S × (2 η + σ̂ + 2M + Heun)
    for r in rows:
        assert r["nfe"] == (2 * r["steps"] - 1 if r["sampler"] == "heun" else r["steps"])
        assert np.isfinite(r["value"]) and r["value"] >= 0 and r["floor"] >= 0
    assert {r["metric"] for r in rows if r["data"] == "gmm"} == {"energy", "sw2"}
    assert all(r["floor"] == 0 for r in rows if r["metric"] == "rms_flow")
    assert "| DDIM η=0 |" in (out / "tradeoff.md").read_text()
    assert (out / "tradeoff_gaussian.png").stat().st_size > 0


def test_rms_flow_only_for_deterministic_samplers(tiny):
    _, rows = tiny
    flow = {(r["sampler"], None if np.isnan(r["eta"]) else r["eta"]) for r in rows if r["metric"] == "rms_flow"}
    assert flow == {("ddim", 0.0), ("dpm_solver_2m", None), ("heun", None)}  # η only where the sampler takes one


@pytest.mark.parametrize("spacing", ["trailing", "quadratic"])
def test_ddim_error_decreases_with_steps(tiny, spacing):
    _, rows = tiny
    v = _values(rows, data="gaussian", sampler="ddim", eta=0.0, spacing=spacing, metric="rms_flow")
    errs = [v[s]["value"] for s in sorted(v)]
    assert all(b < a for a, b in pairwise(errs)), errs


@pytest.mark.parametrize("spacing", ["trailing", "quadratic"])
def test_second_order_beats_ddim_at_equal_nfe(tiny, spacing):
    _, rows = tiny
    ddim = _values(rows, data="gaussian", sampler="ddim", eta=0.0, spacing=spacing, metric="rms_flow")
    two_m = _values(rows, data="gaussian", sampler="dpm_solver_2m", spacing=spacing, metric="rms_flow")
    heun = _values(rows, data="gaussian", sampler="heun", spacing=spacing, metric="rms_flow")
    for s in (4, 8, 16, 32):
        assert two_m[s]["value"] < ddim[s]["value"]
    assert heun[16]["value"] < ddim[32]["value"]  # Heun's 2S − 1 calls against DDIM's 2S


def test_exact_mixture_ddim_improves_from_4_to_32_steps(tiny):
    _, rows = tiny
    v = _values(rows, data="gmm", sampler="ddim", eta=0.0, spacing="trailing", metric="energy")
    assert v[32]["value"] < v[4]["value"]


def test_seeded_runs_repeat_and_noise_depends_on_the_run_not_the_grid():
    problem = tradeoff.analytic_problem("gaussian", 50, seed=1)
    a = tradeoff.run_table1(problem, ["ddim"], [1.0], ["trailing"], [5, 10], seed=1, progress=False)
    b = tradeoff.run_table1(problem, ["ddim"], [1.0], ["trailing"], [10], seed=1, progress=False)
    assert [r["value"] for r in a if r["steps"] == 10] == [r["value"] for r in b]


def test_table2_reconstruction_error_shrinks(tmp_path):
    problem = tradeoff.analytic_problem("gaussian", 100, seed=0)
    rows = tradeoff.run_table2(problem, [10, 100], num=100, seed=0, progress=False)
    assert rows[1]["value"] < rows[0]["value"] / 10
    assert [r["nfe"] for r in rows] == [20, 200]


@pytest.mark.parametrize("argv, message", [
    (["--data", "cifar"], "--data"), (["--samplers", "euler"], "--samplers"), (["--spacing", "log"], "--spacing"),
    (["--steps", "0,5"], "--steps"), (["--eta", "2"], "--eta"), (["--num", "1"], "--num")])
def test_bad_input_exits_2(tmp_path, capsys, argv, message):
    assert cli.main(["tradeoff", *argv, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bench_compares_the_same_step_and_reports_it():
    """The bench command's step comparison checks both sides agree before timing them (no speed asserted)."""
    pytest.importorskip("diffusers")
    from ddim_ref.cli import bench

    rows = bench.bench_step(repeat=1, sizes=((2, 2),))
    assert [r[0] for r in rows] == [(2, 2)] and all(v > 0 for v in rows[0][1:])
    assert "| (2, 2) |" in bench.report(rows)


def _summary_row(sampler, eta, mean, sd, n_seeds=3):
    return dict(data="gmm", sampler=sampler, eta=eta, spacing="trailing", steps=10, nfe=10, metric="energy",
                mean=mean, sd=sd, n_seeds=n_seeds, floor_mean=0.001, floor_sd=0.0005)


@pytest.mark.parametrize(("second", "expected"), [
    ((0.30, 0.05), "DDIM η=0 lower"),      # gap 0.2 > 0.05 + 0.05
    ((0.15, 0.05), "tie (|Δ| 0.05 ≤ 0.1"),  # gap 0.05 ≤ 0.1
    ((0.02, 0.01), "DDIM η=1 lower"),      # the other way round
])
def test_compare_ranks_only_beyond_the_summed_sd(second, expected):
    rows = [_summary_row("ddim", 0.0, 0.10, 0.05), _summary_row("ddim", 1.0, *second)]
    line = tradeoff.compare(rows, "gmm", "energy", "trailing", 10, "DDIM η=0", "DDIM η=1")
    assert expected in line and line.startswith("S=10: DDIM η=0 0.1 ± 0.05 vs DDIM η=1")


def test_compare_calls_one_seed_a_tie_and_names_missing_rows():
    rows = [_summary_row("ddim", 0.0, 0.1, math.nan, 1), _summary_row("ddim", 1.0, 0.9, math.nan, 1)]
    assert "tie (one seed" in tradeoff.compare(rows, "gmm", "energy", "trailing", 10, "DDIM η=0", "DDIM η=1")
    with pytest.raises(ValueError, match="for DDPM σ̂; have: DDIM η=0, DDIM η=1"):
        tradeoff.compare(rows, "gmm", "energy", "trailing", 10, "DDIM η=0", "DDPM σ̂")
