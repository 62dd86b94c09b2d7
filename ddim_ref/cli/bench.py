"""``python -m ddim_ref bench``: speed ratios measured in one run (not timed tests).

    step      seconds per call of the NumPy ``ddim_step`` vs diffusers' ``DDIMScheduler.step`` on the
              same float32 arrays (η = 0, one DDIM step from t to t − T/S); ratio = diffusers / NumPy
    loop      the torch sampling loop (``ddim_ref.torch.ddim.sample``) vs the same S bare model calls
              on the shipped U-Net (loop / bare − 1), and the loop run with a free model: its own
              cost, the overhead that machine load cannot blur
    pipeline  the reference loop vs S bare calls and vs diffusers' ``DDIMPipeline`` on one unet (a tiny
              ``UNet2DModel`` and the digits U-Net), with each side's own work around a free network
              (``--pipeline``)
    notebooks wall time of executing each notebook with nbconvert (``--notebooks``; minutes)
    train     training images/s of the shipped recipe (``TrainConfig`` defaults) and of the cheap CPU
              levers beside it: 1 thread, channels-last, ``torch.compile`` (its start-up reported apart),
              each from the per-step time between two run lengths (``--train``)
    peer      diffusers' ``UNet2DModel`` trained with diffusers' own recipe for ``--peer-seconds`` on the
              same digits and threads, sampled by the reference DDIM and scored by the same FD as
              the shipped model (``--peer``, ``ddim_ref.cli.peer``; about 15 minutes)

Every timing is the minimum over ``--repeat`` rounds (the least disturbed by other processes), and
the two sides of a ratio are interleaved round by round so that machine load hits both alike.
"""
from __future__ import annotations

import platform
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..steps import ddim_step
from . import options, tables

SIZES = ((1, 2), (64, 2), (1, 1, 16, 16), (64, 1, 16, 16), (4, 3, 64, 64), (16, 4, 64, 64))
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _per_call(fn, min_time=0.05):
    """Seconds per call of ``fn``, timed over enough calls to last ≈ ``min_time``."""
    n, start = 1, time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    n = max(1, int(min_time / once))
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def _interleaved(fns, repeat):
    """Min over ``repeat`` rounds of each function's seconds per call, the functions alternating."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], _per_call(fn))
    return best


def bench_step(repeat=5, sizes=SIZES):
    """Rows (shape, numpy_s, torch_ref_s, diffusers_s, ratio) for one DDIM step per array size."""
    import torch
    from diffusers import DDIMScheduler

    torch.set_num_threads(1)
    sched = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    sched.set_timesteps(50)
    t = int(sched.timesteps[10])
    ab = sched.alphas_cumprod.double().numpy()
    ab_t, ab_prev = float(ab[t]), float(ab[t - 1000 // 50])
    rows = []
    for shape in sizes:
        rng = np.random.default_rng(0)
        x, eps = rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32)
        xt, epst = torch.from_numpy(x), torch.from_numpy(eps)
        ours = ddim_step(x, eps, ab_t, ab_prev)[0]
        theirs = sched.step(epst, t, xt, eta=0.0).prev_sample.numpy()
        if not np.allclose(ours, theirs, atol=1e-4):
            raise RuntimeError(f"the two steps disagree at shape {shape}: the benchmark would compare different maths")
        np_s, torch_s, diff_s = _interleaved([partial(ddim_step, x, eps, ab_t, ab_prev),
                                              partial(ddim_step, xt, epst, ab_t, ab_prev),
                                              partial(sched.step, epst, t, xt, eta=0.0)], repeat)
        rows.append((shape, np_s, torch_s, diff_s, diff_s / np_s))
    return rows


def bench_loop(num_steps=20, batch=16, repeat=3, checkpoint=None):
    """(loop_s, bare_s, machinery_s, num_steps, batch): the torch mirror's sampling loop vs bare model calls.

    ``machinery_s`` is the same loop with a free model (a precomputed output): the loop's own cost,
    which machine load cannot hide in the model's time; machinery / bare is the overhead it adds.
    """
    import torch

    from ..samplers import sample
    from ..torch.ddim import DDIM

    torch.set_num_threads(1)
    net = DDIM.from_checkpoint(checkpoint)
    model = net.model
    tau = net.timesteps(num_steps)
    x_T = torch.randn((batch, *net.sample_shape), generator=torch.Generator().manual_seed(0))
    eps = model(x_T, int(tau[0]))

    def bare():
        x = x_T
        for t in tau:
            x = model(x, int(t))  # feeding the output back keeps the work identical to the loop's

    def loop():
        sample(model, x_T, net.alpha_bars, tau)

    def machinery():
        sample(lambda x, t: eps, x_T, net.alpha_bars, tau)

    loop_s, bare_s, machinery_s = _interleaved([loop, bare, machinery], repeat)
    return loop_s, bare_s, machinery_s, num_steps, batch


def _tiny_unet2d():
    """The tests' tiny random UNet2DModel (3×8×8): where per-step overhead shows most."""
    import torch
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    return UNet2DModel(sample_size=8, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(8, 16),
                       norm_num_groups=4, down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D")).eval()


def _as_unet2d(network, sample_size, in_channels, call):
    """``network`` behind diffusers' UNet2DModel interface (config, dtype, ``(x, t) → .sample``) for DDIMPipeline.

    ``call(network, x, t)`` gives the output for ``t`` as the caller passes it: a 0-d tensor from
    DDIMPipeline, a LongTensor (B,) from the reference loop.
    """
    from diffusers import ConfigMixin, ModelMixin
    from diffusers.configuration_utils import register_to_config

    class StandIn(ModelMixin, ConfigMixin):
        @register_to_config
        def __init__(self, sample_size: int, in_channels: int):
            super().__init__()
            self.network = network

        def forward(self, x, t):
            return SimpleNamespace(sample=call(self.network, x, t))

    return StandIn(sample_size, in_channels).eval()


def _digits_unet2d(checkpoint=None):
    """The shipped digits U-Net behind diffusers' UNet2DModel interface, so DDIMPipeline can run it."""
    import torch

    from ..torch.ddim import DDIM

    def call(net, x, t):
        t = torch.as_tensor(t, device=x.device)
        return net(x, (t.expand(x.shape[0]) if t.ndim == 0 else t).long())

    network = DDIM.from_checkpoint(checkpoint).network
    return _as_unet2d(network, network.config.image_size, network.config.in_channels, call)


def _free_unet2d(unet, output):
    """A stand-in with ``unet``'s config whose every call returns ``output``: it costs the caller nothing."""
    import torch

    unused = torch.nn.Linear(1, 1)  # gives the pipeline its dtype and device
    return _as_unet2d(unused, unet.config.sample_size, unet.config.in_channels, lambda net, x, t: output)


def _pipeline_timings(name, unet, num_steps, batch, repeat):
    """(name, bare_s, loop_s, pipeline_s, loop_own_s, pipeline_own_s) for one unet, the same S and batch.

    bare: S network calls; loop: the reference loop; pipeline: DDIMPipeline. ``*_own_s`` time the loop
    and the pipeline around a free network (one precomputed output, replayed): their own work.
    """
    import torch
    from diffusers import DDIMPipeline, DDIMScheduler

    from ..interop import from_diffusers_config
    from ..torch.pretrained import as_model

    scheduler = DDIMScheduler(num_train_timesteps=1000)
    config = from_diffusers_config(dict(scheduler.config))  # the same settings (clip_sample=True, leading τ)
    model = as_model(unet)
    shape = (batch, unet.config.in_channels, unet.config.sample_size, unet.config.sample_size)
    x_T = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    tau = config.timesteps(num_steps)
    free = _free_unet2d(unet, model(x_T, int(tau[0])))
    pipes = {}
    for key, network in (("real", unet), ("free", free)):
        pipes[key] = DDIMPipeline(unet=network, scheduler=DDIMScheduler(num_train_timesteps=1000))
        pipes[key].set_progress_bar_config(disable=True)

    def bare():  # the network's own cost: the same input each call (fed-back outputs can drift to denormals)
        for t in tau:
            model(x_T, int(t))

    def loop(model=model):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        ((config.sample(model, x, num_steps) + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()

    def pipeline(key="real"):
        pipes[key](batch_size=batch, generator=torch.Generator().manual_seed(0), num_inference_steps=num_steps,
                   eta=0.0, output_type="np")

    return (name, *_interleaved([bare, loop, pipeline, partial(loop, as_model(free)), partial(pipeline, "free")],
                                repeat))


def bench_pipeline(num_steps=20, batch=16, repeat=3, checkpoint=None):
    """Rows of ``_pipeline_timings`` on a tiny UNet2DModel and on the digits U-Net; the same S and batch.

    Each is the fastest of 5 × ``repeat`` interleaved rounds (a round is a fraction of a second), with
    denormals flushed for all three alike: a random network's fed-back states drift to denormal floats,
    which slow every op that meets them and would be billed to the loop, not to the network.
    """
    import torch

    torch.set_num_threads(1)
    flushed = torch.set_flush_denormal(True)
    try:
        return [_pipeline_timings("tiny UNet2DModel (3×8×8)", _tiny_unet2d(), num_steps, batch, 5 * repeat),
                _pipeline_timings("digits U-Net (1×16×16)", _digits_unet2d(checkpoint), num_steps, batch, 5 * repeat)]
    finally:
        if flushed:
            torch.set_flush_denormal(False)


def bench_notebooks(paths=None):
    """Rows (name, seconds) of executing each notebook with nbconvert, outputs to a temporary folder."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if paths is None else paths
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for nb in paths:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                                   "--output-dir", tmp, str(nb)], capture_output=True, text=True)
            rows.append((nb.name, time.perf_counter() - start if done.returncode == 0 else float("nan")))
    return rows


def _train_seconds(cfg, steps):
    from ..torch.train import train

    start = time.perf_counter()
    train(cfg, stop_at=steps)
    return time.perf_counter() - start


def bench_train(short=20, long=200, rounds=2, out_dir=None):
    """Rows (lever, ms/step, images/s, start-up s) for the recipe's training step and its CPU levers.

    Each lever trains ``short`` and ``long`` steps, ``rounds`` times, the levers interleaved; the time per
    step is the difference of the two fastest runs over ``long − short`` steps, so start-up (a compile
    included) cancels out and the machine's drift hits every lever alike.
    """
    from dataclasses import replace

    from ..torch.train import TrainConfig

    base = TrainConfig(progress=False, checkpoint_every=10**7,
                       out=str(Path(out_dir or tempfile.mkdtemp()) / "bench_train"))
    levers = [("recipe (TrainConfig defaults)", {}), ("1 thread", {"threads": 1}),
              ("channels-last", {"channels_last": True}), ("torch.compile", {"compile": True})]
    times = {name: ([], []) for name, _ in levers}
    for _ in range(rounds):
        for name, change in levers:
            cfg = replace(base, **change)
            times[name][0].append(_train_seconds(cfg, short))
            times[name][1].append(_train_seconds(cfg, long))
    rows = []
    for name, _ in levers:
        t_short, t_long = min(times[name][0]), min(times[name][1])
        per_step = (t_long - t_short) / (long - short)
        rows.append((name, per_step * 1e3, base.batch_size / per_step, max(0.0, t_short - short * per_step)))
    return rows


def bench_peer(seconds, threads=2, num=512, seeds=(0, 1, 2), out_dir=None):
    """Rows of demo.run_digits for the diffusers peer and the shipped model, and the peer's (steps, images/s)."""
    import torch

    from ..schedules import beta_schedule
    from ..torch.ddim import DDIM
    from .demo import DIGITS_SETTINGS, run_digits
    from .peer import train_peer

    out_dir = Path(out_dir or tempfile.mkdtemp())
    network, steps, img_s = train_peer(seconds, threads)
    torch.set_num_threads(threads)
    peer = DDIM(network, beta_schedule("linear", 1000))
    rows = [dict(r, model="diffusers peer") for r in run_digits(peer, DIGITS_SETTINGS, num, list(seeds), out_dir)]
    ours = DDIM.from_checkpoint()
    rows += [dict(r, model="shipped") for r in run_digits(ours, DIGITS_SETTINGS, num, list(seeds), out_dir)]
    return rows, steps, img_s


def report(step_rows, loop=None, notebook_rows=(), train_rows=(), peer=None, pipeline_rows=()):
    """The benchmark as markdown."""
    parts = [f"Machine: {platform.processor() or platform.machine()}, {_cores()} cores; "
             f"Python {platform.python_version()}, NumPy {np.__version__}."]
    if step_rows:
        parts.append(tables.markdown(["array shape", "NumPy ddim_step", "same function on torch",
                                      "diffusers DDIMScheduler.step", "diffusers / NumPy"],
                                     [(shape, f"{np_s * 1e6:.1f} µs", f"{torch_s * 1e6:.1f} µs",
                                       f"{diff_s * 1e6:.1f} µs", f"{ratio:.1f}×")
                                      for shape, np_s, torch_s, diff_s, ratio in step_rows]))
    if loop is not None:
        loop_s, bare_s, machinery_s, steps, batch = loop
        parts.append(f"Torch sampling loop (shipped U-Net, {steps} steps, batch {batch}): {loop_s:.3f} s vs "
                     f"{bare_s:.3f} s of bare model calls ({(loop_s / bare_s - 1) * 100:+.1f} %, load noise included); "
                     f"the loop's own work (same loop, free model): {machinery_s * 1e3:.2f} ms = "
                     f"{machinery_s / bare_s * 100:.2f} % of the model calls.")
    if pipeline_rows:
        parts.append("DDIM sampling on one unet, the same S and batch, η = 0, output in [0, 1] channels-last on "
                     "both sides (diffusers' DDIMPipeline vs the reference loop). Both make the same S calls of "
                     "the same network, so each takes the bare calls' time plus its own work, timed apart around a "
                     "free network (one precomputed output, replayed): own work / bare is the overhead without "
                     "the load noise of two long timings, and the loop is not slower than the pipeline when its "
                     "own work is the smaller.")
        parts.append(tables.markdown(["network", "bare model calls", "reference loop", "DDIMPipeline",
                                      "loop / bare − 1", "loop / pipeline", "loop's own work", "pipeline's own work"],
                                     [(n, f"{b * 1e3:.1f} ms", f"{lp * 1e3:.1f} ms", f"{p * 1e3:.1f} ms",
                                       f"{(lp / b - 1) * 100:+.1f} %", f"{lp / p:.2f}",
                                       f"{lo * 1e3:.2f} ms ({lo / b * 100:.2f} %)",
                                       f"{po * 1e3:.2f} ms ({po / b * 100:.2f} %)")
                                      for n, b, lp, p, lo, po in pipeline_rows]))
    if train_rows:
        parts.append(tables.markdown(["training step (batch of the recipe)", "ms / step", "images / s",
                                      "start-up s"],
                                     [(n, f"{ms:.0f}", f"{ips:.0f}", f"{su:.0f}") for n, ms, ips, su in train_rows]))
    if peer is not None:
        rows, steps, img_s = peer
        parts.append(f"Diffusers peer: {steps} steps of batch 16 ({img_s:.0f} images/s); FD mean ± sd over seeds, "
                     "same x_T, sampler and metric as the shipped model:")
        parts.append(tables.markdown(["model", "setting", "FD", "FD / floor", "noisy"],
                                     [(r["model"], f"{r['sampler']} η={r['eta']:g} S={r['steps']}",
                                       tables.pm(r["value"], r["sd"]), f"{r['ratio']:.2f}", f"{r['noisy']:.1%}")
                                      for r in rows]))
    if notebook_rows:
        rows = [(name, f"{s:.1f}") for name, s in notebook_rows]
        rows.append(("**total**", f"{sum(s for _, s in notebook_rows):.1f}"))
        parts.append(tables.markdown(["notebook", "seconds"], rows))
    return "\n\n".join(parts)


def _cores():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def add_arguments(p):
    options.add(p, "--repeat", options.integer(1, 100), 5, "timing rounds; the minimum is kept")
    options.flag(p, "--no-loop", "skip the torch loop benchmark")
    options.add(p, "--loop-steps", options.integer(1, 1000), 20, "DDIM steps in the loop benchmark")
    options.add(p, "--loop-batch", options.integer(1, 4096), 16, "images per model call in the loop benchmark")
    options.flag(p, "--notebooks", "also time every notebook (takes minutes)")
    options.add(p, "--checkpoint", options.existing_path("checkpoint file"), None,
                "U-Net checkpoint for the loop (none: the shipped one)")
    options.flag(p, "--pipeline", "also the reference loop vs DDIMPipeline on a tiny UNet2DModel and the digits U-Net")
    options.flag(p, "--train", "also the training step: the recipe's images/s and its CPU levers (minutes)")
    options.flag(p, "--peer", "also train and score diffusers' UNet2DModel with diffusers' recipe (≈ 15 min)")
    options.add(p, "--peer-seconds", options.number(10, 7200), 600.0, "the peer's training wall time")
    options.add(p, "--threads", options.integer(1, 256), 2, "torch CPU threads of --train's recipe and --peer")
    options.flag(p, "--no-step", "skip the step benchmark")
    options.add(p, "--out", options.output_file(".md"), None, "also write the markdown report here")


def main(args) -> int:
    step_rows = () if args.no_step else bench_step(args.repeat)
    loop = None if args.no_loop else bench_loop(args.loop_steps, args.loop_batch, args.repeat, args.checkpoint)
    notebook_rows = bench_notebooks() if args.notebooks else ()
    train_rows = bench_train() if args.train else ()
    peer = bench_peer(args.peer_seconds, args.threads) if args.peer else None
    pipeline_rows = bench_pipeline(args.loop_steps, args.loop_batch, args.repeat, args.checkpoint) if args.pipeline \
        else ()
    text = report(step_rows, loop, notebook_rows, train_rows, peer, pipeline_rows)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tables.write_text(args.out, text)
    return 0
