"""Several processes under `torchrun` (docs/architecture.md "Many processes"): the process group, this
process's rank, and the few collectives the loop needs, all through `torch.distributed`.

`init_world()` reads torchrun's environment (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`,
`MASTER_PORT`) and joins the process group: NCCL when the run computes on CUDA, gloo on CPU. Without
torchrun (or with one process) it returns `SINGLE`, whose collectives return their input unchanged, so
a one-process run executes exactly the code and the float operations it always did.

Objects pass between ranks with `broadcast_object_list` / `gather_object`, which pickle them in
memory: only objects this process built travel that way (metrics, rollout summaries, method state),
never the contents of a file.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Protocol, TypeVar

import numpy as np
import torch
import torch.distributed as dist

from siri.utils.errors import UserError

T = TypeVar("T")
# Ranks wait for rank 0 while it mines skills with the policy or writes the consolidated model; at 7B
# either can take minutes, longer than NCCL's default of 10 minutes.
TIMEOUT = timedelta(minutes=60)
_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class World:
    """This process's place among the run's processes. `SINGLE` (rank 0 of 1) needs no process group."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files and decides shared state."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def _device(self) -> torch.device:
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def sum(self, values: dict[str, float]) -> dict[str, float]:
        """Key-wise sums over the ranks (every rank passes the same keys), in float64."""
        if not self.distributed or not values:
            return dict(values)
        keys = sorted(values)
        t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=self._device())
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return dict(zip(keys, t.cpu().tolist()))

    def max(self, value: int) -> int:
        if not self.distributed:
            return value
        t = torch.tensor([int(value)], dtype=torch.int64, device=self._device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def all_gather(self, obj: T) -> list[T]:
        """Every rank's `obj`, in rank order, on every rank."""
        if not self.distributed:
            return [obj]
        out: list[Any] = [None] * self.size
        dist.all_gather_object(out, obj)
        return out

    def gather(self, obj: T) -> list[T] | None:
        """Every rank's `obj` in rank order on rank 0; None on the others."""
        if not self.distributed:
            return [obj]
        out: list[Any] | None = [None] * self.size if self.is_main else None
        dist.gather_object(obj, out, dst=0)
        return out

    def broadcast(self, obj: T) -> T:
        """Rank 0's `obj` on every rank (the others' argument is ignored)."""
        if not self.distributed:
            return obj
        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def on_main(self, fn: Callable[[], T]) -> T:
        """Run `fn` on rank 0 and hand its result to every rank; a `UserError` it raises is raised on
        every rank (the others would otherwise wait for a result that never comes)."""
        if not self.distributed:
            return fn()
        result: tuple[str | None, Any] = (None, None)
        if self.is_main:
            try:
                result = (None, fn())
            except UserError as e:
                result = (str(e), None)
        error, value = self.broadcast(result)
        if error is not None:
            raise UserError(error)
        return value

    def share_state(self, holder: Stateful) -> None:
        """Make every rank's `holder` rank 0's: its `state_dict()` is broadcast and loaded elsewhere."""
        if not self.distributed:
            return
        state = self.broadcast(holder.state_dict() if self.is_main else None)
        if not self.is_main:
            holder.load_state_dict(state)


SINGLE = World()


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank `rank`'s own random streams: `seed` itself in one process (today's streams),
    otherwise a draw from (seed, rank), so no two ranks sample alike."""
    if rank == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(rank)]).generate_state(1, dtype=np.uint32)[0])


def launched() -> bool:
    """Whether torchrun started this process with more than one process in the run."""
    return all(k in os.environ for k in _ENV) and int(os.environ["WORLD_SIZE"]) > 1


# What several processes use of torch: FSDP2 (with plain-sum reductions) and DCP's safetensors storage.
NEEDED = (("torch.distributed.fsdp", "fully_shard"), ("torch.distributed.fsdp", "MixedPrecisionPolicy"),
          ("torch.distributed.fsdp", "FSDPModule.set_force_sum_reduction_for_comms"),
          ("torch.distributed.checkpoint", "HuggingFaceStorageWriter"),
          ("torch.distributed.checkpoint", "HuggingFaceStorageReader"))


def check_torch() -> None:
    """Stop in one line when this torch lacks something several processes use (built and tested on
    torch 2.13; older releases may lack DCP's safetensors storage or FSDP2)."""
    for module, name in NEEDED:
        try:
            obj: Any = importlib.import_module(module)
            for part in name.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            raise UserError(f"several processes need {module}.{name}, which torch {torch.__version__} lacks; "
                            f"install a newer torch") from None


def init_world(device: str) -> World:
    """Join the run's process group (see the module docstring); `SINGLE` outside torchrun. `device` is
    `run.device`: CUDA gives each process the GPU `cuda:LOCAL_RANK` and the NCCL backend."""
    if not launched():
        return SINGLE
    check_torch()
    rank, size, local = (int(os.environ[k]) for k in _ENV)
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if cuda:
        if not torch.cuda.is_available():
            raise UserError("run.device=cuda but CUDA is not available; use run.device=cpu (gloo) or auto")
        if local >= torch.cuda.device_count():
            raise UserError(f"LOCAL_RANK {local} has no GPU (this node has {torch.cuda.device_count()}); "
                            f"start at most that many processes per node")
        torch.cuda.set_device(local)
    backend = "nccl" if cuda else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=TIMEOUT,
                                **({"device_id": torch.device("cuda", local)} if cuda else {}))
    return World(rank=rank, size=size, local_rank=local, backend=backend)


def process_device(world: World, device: str) -> str:
    """The device this process computes on: `run.device`, with CUDA narrowed to this process's GPU."""
    if world.backend == "nccl":
        return f"cuda:{world.local_rank}"
    return "cpu" if world.distributed else device


def shutdown() -> None:
    """Leave the process group, if this process joined one (at the end of `siri train`)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def check_divisible(groups_per_iter: int, world: World) -> None:
    if groups_per_iter % world.size:
        raise UserError(f"train.groups_per_iter={groups_per_iter} must be divisible by the number of processes "
                        f"({world.size}): each process rolls out whole groups, the same number each")
