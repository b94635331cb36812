"""Where a training job's processes run: trainer machines, processes per machine, judge servers.

Config `launch.<rule>` states a trainer's layout (schemas/config.schema.yaml):

- `nodes` machines of `processes` trainer processes each (one per GPU), under one `accelerate
  launch` per machine; the world size is their product.
- For a policy run, `judge_server`: with `nodes: 0` (the default) one `vllm serve` of the judge on
  `gpus` GPUs of the trainer's own node; with `nodes: M`, M nodes of their own, each serving the
  judge on `gpus` GPUs as `gpus / tensor_parallel_size` servers (one per tensor-parallel group).

Everything that depends on the layout reads it from here: the rule's SLURM resources, the
launcher (judgerl/launch.py), the batch arithmetic (judgerl/grpo_batch.py, by world size) and the
plan (judgerl/plan.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    nodes: int = 1  # trainer machines
    processes: int = 1  # trainer processes per machine
    judge_nodes: int = 0  # machines of the judge servers; 0: on the trainer's node
    judge_gpus: int = 0  # per judge machine, or beside the trainer with judge_nodes 0
    tensor_parallel: int = 1  # GPUs per judge server
    served: bool = False  # a judge server at all (vLLM's CPU build with judge_gpus 0)

    @classmethod
    def of(cls, settings: dict | None) -> Layout:
        settings = settings or {}
        server = settings.get("judge_server")
        gpus = int(server["gpus"]) if server else 0
        return cls(
            nodes=int(settings.get("nodes", 1)),
            processes=int(settings.get("processes", 1)),
            judge_nodes=int(server.get("nodes", 0)) if server else 0,
            judge_gpus=gpus,
            tensor_parallel=int(server.get("tensor_parallel_size", max(gpus, 1)))
            if server
            else 1,
            served=server is not None,
        )

    @property
    def world_size(self) -> int:
        """Trainer processes over all machines: what the batch arithmetic divides by."""
        return self.nodes * self.processes

    @property
    def job_nodes(self) -> int:
        return self.nodes + self.judge_nodes

    @property
    def multi_node(self) -> bool:
        return self.job_nodes > 1

    @property
    def servers_per_node(self) -> int:
        return max(self.judge_gpus // self.tensor_parallel, 1) if self.served else 0

    @property
    def servers(self) -> int:
        """vLLM servers of the judge: one per tensor-parallel group on its own nodes, else one."""
        if not self.served:
            return 0
        return self.judge_nodes * self.servers_per_node if self.judge_nodes else 1

    def gpus_per_node(self, gpu_job: bool) -> int:
        """The GPUs a node of the job needs: the trainer's and, on one node, the judge's beside
        them; on separate nodes the larger of the two (a SLURM job asks the same of each node)."""
        if not gpu_job:
            return 0
        if self.judge_nodes:
            return max(self.processes, self.judge_gpus)
        return self.processes + self.judge_gpus

    def slurm_resources(self, gpus_per_node: int) -> dict:
        """The resources that make the SLURM executor plugin ask for this layout.

        One node: `gpu` (the plugin's `--gpus=N`) and nodes=1; the job runs in the plugin's own
        single-task step. Several: `--nodes=K --ntasks=K --gres=gpu:N` (gres counts per node,
        `--gpus` the whole job), no `--ntasks-per-gpu` (a task per GPU would start the launcher
        once per GPU), and `mpi`, which makes the plugin's job step run the script itself rather
        than inside `srun -n1`: the script then starts one task per machine and per judge server
        with srun (judgerl/launch.py).
        """
        if not self.multi_node:
            return {"gpu": gpus_per_node, "nodes": 1}
        resources = {
            "nodes": self.job_nodes,
            "tasks": self.job_nodes,
            "tasks_per_gpu": 0,
            "mpi": "srun",
        }
        if gpus_per_node:
            resources["gres"] = f"gpu:{gpus_per_node}"
        return resources

    def describe(self) -> str:
        text = f"{self.nodes} x {self.processes} trainer processes"
        if self.judge_nodes:
            text += (
                f", judge on {self.judge_nodes} x {self.judge_gpus} GPUs "
                f"({self.servers} servers of tensor parallel {self.tensor_parallel})"
            )
        elif self.served:
            text += f", judge on {self.judge_gpus} GPUs beside them"
        return text
