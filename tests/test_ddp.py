"""DDP on 2 CPU processes (gloo): ranks stay identical, and 2 ranks × b equals 1 process × 2b."""
import os
import socket

import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402

from ddim_ref.torch.train import TrainConfig, train  # noqa: E402

STEPS, BATCH = 4, 32  # global batch: 16 per rank


def config(out, **kw):
    return TrainConfig(data="gmm:ring", steps=STEPS, batch_size=BATCH, warmup=2, mlp_hidden=32, checkpoint_every=100,
                       out=str(out), threads=1, progress=False, **kw)


def flat(network):
    return torch.cat([p.detach().reshape(-1) for p in network.parameters()])


def _worker(rank, world, port, out):
    """What ``torchrun`` sets up, then the trainer: one step, then (resuming) the rest."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    cfg = config(os.path.join(out, "run"))
    after_one, _ = train(cfg, stop_at=1)
    first = flat(after_one).clone()
    network, ema = train(cfg, resume=True)
    torch.save({"first": first, "last": flat(network), "ema": flat(ema)}, os.path.join(out, f"rank{rank}.pt"))
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_equal_one_process_with_twice_the_batch(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    for key in ("first", "last", "ema"):
        assert torch.equal(r0[key], r1[key]), key  # parameters identical across ranks

    torch.set_num_threads(1)
    cfg = config(tmp_path / "single")
    one_step, _ = train(cfg, stop_at=1)
    single_first = flat(one_step).clone()
    single, single_ema = train(cfg, resume=True)
    for key, expected in (("first", single_first), ("last", flat(single)), ("ema", flat(single_ema))):
        assert torch.allclose(r0[key], expected, rtol=1e-5, atol=1e-6), key
    assert not torch.equal(single_first, flat(single))  # the run did move the weights
