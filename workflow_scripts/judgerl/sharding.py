"""What FSDP needs beyond accelerate's own `prepare`: a reference model that TRL shards itself.

The paper's launch (configs/accelerate/fsdp.yaml) shards with FSDP2 and
`fsdp_cpu_ram_efficient_loading: true`. Under it, `accelerate launch` sets
`FSDP_CPU_RAM_EFFICIENT_LOADING=1`, and once torch.distributed is up, transformers'
`from_pretrained` reads the checkpoint on local rank 0 only: every other process gets zeros in
every parameter and buffer (transformers 5.17, modeling_utils.py
`PreTrainedModel._move_missing_keys_from_meta_to_device`), waiting for a broadcast from rank 0.
accelerate's `prepare` makes that broadcast for the model it prepares
(accelerate 1.15, utils/fsdp_utils.py `fsdp2_prepare_model` -> `fsdp2_load_full_state_dict`).

TRL 1.16's GRPOTrainer with `beta > 0` loads its own reference model (`trainer.ref_model`) in
`__init__`, after torch.distributed is up, so with the zeros on every process but rank 0, and
shards it with `trl.models.utils.prepare_fsdp`: a bare `fully_shard`, with no broadcast. Each
process keeps its own slice of the weights, so the reference that FSDP gathers for a forward is
rank 0's slice of the initial policy followed by zeros, and the KL penalty pulls the policy towards
that. `sync_reference` loads the initial policy's full state dict from rank 0 into the sharded
reference on every process, with torch's own loader for sharded models
(`torch.distributed.checkpoint.state_dict.set_model_state_dict`, `broadcast_from_rank0`).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def sync_reference(trainer) -> bool:
    """Make TRL's FSDP2-sharded reference model equal, on every process, to the initial policy
    as rank 0 holds it; return whether there was anything to do.

    Call it right after `GRPOTrainer(...)` and before `trainer.train()`: the source is rank 0's
    policy (`trainer.model`) while it is still whole, i.e. the weights it was given (a resumed run
    loads its checkpoint later, in `train`). A collective: every process must call it. Nothing to
    do without a reference (`beta == 0`, or PEFT, where the reference is the policy without its
    adapter), without a distributed run, or where the reference is not sharded by FSDP2 (FSDP1's
    `sync_module_states` and DDP already start every process from rank 0's weights).
    """
    ref = getattr(trainer, "ref_model", None)
    if ref is None:
        return False
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return False
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
    )
    from torch.distributed.fsdp import FSDPModule

    if not isinstance(ref, FSDPModule):
        return False
    policy = trainer.model
    if isinstance(policy, FSDPModule):
        raise RuntimeError(
            "sync_reference needs the policy whole, as the trainer was given it: call it before "
            "trainer.train(), which shards the policy and then changes it"
        )
    # Rank 0's policy is the one accelerate's prepare broadcasts to every process: the truth.
    full = policy.state_dict() if dist.get_rank() == 0 else {}
    set_model_state_dict(
        ref,
        full,
        options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True),
    )
    # Non-persistent buffers (rotary frequencies) are in no state dict, and FSDP does not shard
    # buffers: every process holds its own whole copy, which rank 0's now replaces.
    with torch.no_grad():
        for module in ref.modules():
            for name in sorted(module._non_persistent_buffers_set):
                buffer = module._buffers.get(name)
                if buffer is not None:
                    dist.broadcast(buffer, src=0)
    log.info(
        "reference model: rank 0's initial policy loaded into its shards on all %d processes",
        dist.get_world_size(),
    )
    return True
