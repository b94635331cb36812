"""The GRPO batch in the paper's terms, and the TRL arguments that make it.

The paper trains with verl: a global batch (`train_batch_size`) and a mini-batch
(`ppo_mini_batch_size`) with n rollouts per prompt. In verl both count prompts: a step generates
global x n rollouts and makes global / mini optimizer updates from them. TRL counts otherwise:
per process, `per_device_train_batch_size` rollouts per micro-step, `steps_per_generation`
micro-steps per generation, `gradient_accumulation_steps` micro-steps per update, and its
`max_steps` / `save_steps` count updates. A config's `batch` states the paper's numbers;
`trl_args` derives TRL's from them and the trainer's processes, and `max_steps` / `save_steps`
stay in paper steps (the checkpoint names and every figure's step axis). Without `batch`, the
arguments are TRL's own and one update is one step.

`StepUnits` is the one statement of the two counts: every conversion between paper steps and
TRL updates (the arguments, the logs' and rewards' step, the exports' names, resume) goes
through it.
"""

from __future__ import annotations

from dataclasses import dataclass

DERIVED = (
    "per_device_train_batch_size",
    "steps_per_generation",
    "gradient_accumulation_steps",
    "num_generations",
)


# Keys of a config's GRPO section that are the workflow's, not TRL's: the batch in paper terms,
# and the prompt cap that the judge GRPO script applies to its data (TRL has none).
OWN = ("batch", "max_prompt_length")


class BatchError(ValueError):
    pass


def batch_sizes(batch: dict) -> dict:
    """Prompts and rollouts per step, rollouts per update and updates per step of a `batch` in
    paper terms; `counts: prompts` is verl's reading, `responses` reads both sizes as rollouts."""
    n = batch["rollouts_per_prompt"]
    per = n if batch["counts"] == "prompts" else 1
    rollouts, per_update = batch["global_batch"] * per, batch["mini_batch"] * per
    for size in (rollouts, per_update):
        if size % n:
            raise BatchError(
                f"batch: {size} rollouts are not whole groups of {n} rollouts per prompt"
            )
    if rollouts % per_update:
        raise BatchError(
            f"batch: a mini-batch of {per_update} rollouts does not divide a global batch "
            f"of {rollouts}"
        )
    return {
        "prompts_per_step": rollouts // n,
        "rollouts_per_step": rollouts,
        "rollouts_per_update": per_update,
        "updates_per_step": rollouts // per_update,
    }


@dataclass(frozen=True)
class StepUnits:
    """A paper step and a TRL update: `updates_per_step` updates make one paper step, from
    `rollouts_per_step` rollouts (None where the config gives TRL's arguments, not a batch).

    TRL's `global_step` counts updates done; the workflow's logs, rewards and exports count
    paper steps. Each method below is one of the conversions, named by what it answers.
    """

    updates_per_step: int = 1
    rollouts_per_step: int | None = None

    @classmethod
    def of(cls, args: dict) -> StepUnits:
        """The units of a config's GRPO section (training.*_grpo, with any overrides)."""
        if "batch" not in args:
            return cls(1)
        sizes = batch_sizes(args["batch"])
        return cls(sizes["updates_per_step"], sizes["rollouts_per_step"])

    def updates(self, steps: int) -> int:
        """TRL updates that make `steps` paper steps (max_steps, save_steps)."""
        return steps * self.updates_per_step

    def steps_done(self, updates: int) -> int:
        """Paper steps completed once `updates` updates are done (a checkpoint, an export)."""
        return updates // self.updates_per_step

    def step_under_way(self, updates: int) -> int:
        """The paper step that runs next once `updates` updates are done: the step a reward
        is computed for, before its updates."""
        return self.steps_done(updates) + 1

    def step_of_update(self, update: int) -> int:
        """The paper step that TRL's update number `update` (from 1) belongs to: the step its
        logged row describes."""
        return -(-update // self.updates_per_step)


# A config without `batch`: TRL's own arguments, one update per paper step.
ONE_UPDATE_PER_STEP = StepUnits()


def trl_args(args: dict, processes: int = 1) -> dict:
    """GRPOConfig arguments from a config's (training.*_grpo, with any overrides) for a trainer
    of `processes` processes."""
    if "batch" not in args:
        return {k: v for k, v in args.items() if k not in OWN}
    clash = [key for key in DERIVED if key in args]
    if clash:
        raise BatchError(
            f"{clash} are derived from `batch`; set the batch in paper terms or these, not both"
        )
    out = {k: v for k, v in args.items() if k not in OWN}
    batch, sizes, units = args["batch"], batch_sizes(args["batch"]), StepUnits.of(args)
    micro = (
        batch["rollouts_per_device"] * processes
    )  # rollouts per micro-step, all processes
    if sizes["rollouts_per_update"] % micro:
        raise BatchError(
            f"batch: {sizes['rollouts_per_update']} rollouts per update do not split into "
            f"micro-steps of {batch['rollouts_per_device']} rollouts on {processes} processes"
        )
    out.update(
        per_device_train_batch_size=batch["rollouts_per_device"],
        num_generations=batch["rollouts_per_prompt"],
        gradient_accumulation_steps=sizes["rollouts_per_update"] // micro,
        steps_per_generation=sizes["rollouts_per_step"] // micro,
        max_steps=units.updates(args["max_steps"]),
    )
    if "save_steps" in args:
        out["save_steps"] = units.updates(args["save_steps"])
    return out
