"""The trainer arguments every config gives TRL, built as the trainers build them: TRL accepts
them, and the paper's colocated vLLM generation (use_vllm, GPU only: vLLM's CPU build does not
take TRL's in-place weight updates) is sized to the data, never to the model's whole context."""

import copy
from pathlib import Path

import pytest
import yaml

from judgerl import config as study_config
from judgerl import training
from judgerl.layout import Layout

ROOT = Path(__file__).resolve().parents[1]

# The paper's policy batch: 1,024 prompts of 8 rollouts per step, mini-batches of 256 prompts,
# so four TRL updates per paper step.
PAPER_BATCH = {
    "global_batch": 1024,
    "mini_batch": 256,
    "rollouts_per_prompt": 8,
    "counts": "prompts",
    "rollouts_per_device": 2,
}


def load(name):
    path = ROOT / ("config.yaml" if name == "default" else f"configs/{name}.yaml")
    return study_config.validate(yaml.safe_load(path.read_text()))


# What each config trains on, per step, in the paper's terms: (prompts, rollouts per prompt,
# optimizer updates) per step, and its steps. The paper's are verl's batches counted in prompts.
BATCHES = {
    ("default", "judge_grpo"): (1, 4, 1, 2),
    ("default", "policy_grpo"): (1, 4, 1, 4),
    ("paper", "judge_grpo"): (2048, 8, 4, 200),
    ("paper", "policy_grpo"): (1024, 8, 4, 1200),
}
PROCESSES = {"judge_grpo": "train_judge_grpo", "policy_grpo": "train_policy"}


@pytest.mark.parametrize("name", ["default", "paper", "single_gpu"])
@pytest.mark.parametrize("section", ["judge_grpo", "policy_grpo"])
def test_every_config_builds_its_grpo_config(tiny_model_dir, tmp_path, name, section):
    """TRL's GRPOConfig, built as the trainer builds it on each of its processes: the rollouts it
    generates at once and the updates it makes from them are the config's batch."""
    from transformers import AutoTokenizer
    from trl import GRPOConfig

    from judgerl import grpo_batch

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    cfg = load(name)
    args = copy.deepcopy(cfg["training"][section])
    # every trainer process of every node (the paper's: 4 nodes x 8)
    processes = Layout.of(cfg.get("launch", {}).get(PROCESSES[section])).world_size
    trl = grpo_batch.trl_args(args, processes)
    prompts = [[{"role": "user", "content": "word " * n}] for n in (5, 300)]
    extra = training.colocated_vllm_args(trl, tokenizer, prompts)
    config = GRPOConfig(**training.trainer_args(tmp_path, 0, **trl), **extra)
    # GRPOConfig sees one process here; each of `processes` generates its share.
    rollouts = config.generation_batch_size * processes
    updates = config.steps_per_generation // config.gradient_accumulation_steps
    assert config.steps_per_generation % config.gradient_accumulation_steps == 0
    assert rollouts % config.num_generations == 0  # whole groups
    assert config.max_steps % updates == 0 and config.save_steps % updates == 0
    steps = config.max_steps // updates
    assert steps == args["max_steps"]  # the config's steps are paper steps
    if (name, section) in BATCHES:
        prompts_per_step, n, updates_per_step, paper_steps = BATCHES[name, section]
        assert rollouts == prompts_per_step * n and config.num_generations == n
        assert updates == updates_per_step and steps == paper_steps
        # What TRL will train on over the run, counted from its own arguments.
        prompts_seen = (
            config.max_steps
            * config.gradient_accumulation_steps
            * config.per_device_train_batch_size
            * processes
            // config.num_generations
        )
        assert prompts_seen == paper_steps * prompts_per_step
    if trl.get("use_vllm"):
        longest = training.prompt_tokens(tokenizer, prompts[1])
        assert config.vllm_max_model_length == longest + args["max_completion_length"]
        assert config.vllm_mode == "colocate" and config.use_vllm
        assert config.vllm_max_model_length < 16384  # not the model's whole context
    else:
        assert extra == {} and not config.use_vllm


def test_the_batch_reads_responses_one_switch_away():
    from judgerl import grpo_batch

    args = {"max_steps": 10, "save_steps": 5, "batch": PAPER_BATCH}
    assert grpo_batch.trl_args(args, processes=4) == {
        "max_steps": 40,  # 4 updates per step
        "save_steps": 20,
        "per_device_train_batch_size": 2,
        "num_generations": 8,
        "gradient_accumulation_steps": 256,  # 2048 rollouts per update / (2 x 4)
        "steps_per_generation": 1024,  # 8192 rollouts per step / (2 x 4)
    }
    responses = {**args, "batch": {**PAPER_BATCH, "counts": "responses"}}
    assert grpo_batch.batch_sizes(responses["batch"]) == {
        "prompts_per_step": 128,
        "rollouts_per_step": 1024,
        "rollouts_per_update": 256,
        "updates_per_step": 4,
    }
    assert grpo_batch.trl_args(responses, processes=4)["steps_per_generation"] == 128
    with pytest.raises(grpo_batch.BatchError, match="derived from `batch`"):
        grpo_batch.trl_args({**args, "num_generations": 8})
    with pytest.raises(grpo_batch.BatchError, match="do not split into micro-steps"):
        grpo_batch.trl_args(args, processes=3)
    with pytest.raises(grpo_batch.BatchError, match="does not divide"):
        grpo_batch.trl_args({**args, "batch": {**PAPER_BATCH, "mini_batch": 300}})


def test_prompt_tokens_count_the_chat_template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    conversation = [{"role": "user", "content": "Hi"}]
    rendered = tokenizer.apply_chat_template(
        conversation, tokenize=False, add_generation_prompt=True
    )
    assert training.prompt_tokens(tokenizer, conversation) == training.prompt_tokens(
        tokenizer, rendered
    )
    assert training.prompt_tokens(tokenizer, rendered) > training.prompt_tokens(
        tokenizer, "Hi"
    )


def test_logs_and_judge_calls_count_paper_steps(tmp_path):
    """With 4 updates per step, TRL's updates 1-4 are paper step 1, 5-8 step 2; rewards are
    computed for the step about to run."""
    from types import SimpleNamespace

    import polars as pl

    from judgerl.grpo_batch import StepUnits
    from judgerl.rewards import _step

    history = [{"step": k, "loss": 0.1 * k} for k in range(1, 9)]
    training.write_log_history(history, tmp_path / "log.csv", StepUnits(4))
    log = pl.read_csv(tmp_path / "log.csv")
    assert log["step"].to_list() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert log["trainer_step"].to_list() == list(range(1, 9))
    assert _step(SimpleNamespace(global_step=0), StepUnits(4)) == 1
    assert _step(SimpleNamespace(global_step=4), StepUnits(4)) == 2
    assert _step(SimpleNamespace(global_step=4)) == 5  # one update per step
    assert _step(None, StepUnits(4)) is None


def test_step_units_convert_each_way_by_hand():
    """Four updates per paper step (a global batch of 1,024 prompts, mini-batches of 256)."""
    from judgerl.grpo_batch import ONE_UPDATE_PER_STEP, StepUnits

    units = StepUnits.of({"max_steps": 10, "batch": PAPER_BATCH})
    assert units == StepUnits(updates_per_step=4, rollouts_per_step=8192)
    assert StepUnits.of({"max_steps": 10}) == ONE_UPDATE_PER_STEP == StepUnits(1)
    assert units.updates(10) == 40  # max_steps, save_steps
    # updates done -> paper steps completed (checkpoints, exports): floor
    assert [units.steps_done(u) for u in (0, 3, 4, 7, 8)] == [0, 0, 1, 1, 2]
    # updates done -> the step under way, that a reward is computed for: floor + 1
    assert [units.step_under_way(u) for u in (0, 3, 4, 7, 8)] == [1, 1, 2, 2, 3]
    # update number (from 1) -> the step it belongs to (the log's rows): ceiling
    assert [units.step_of_update(u) for u in (1, 4, 5, 8, 9)] == [1, 1, 2, 2, 3]
    one = ONE_UPDATE_PER_STEP
    assert (one.updates(3), one.steps_done(3), one.step_under_way(3)) == (3, 3, 4)
    assert one.step_of_update(3) == 3
    with pytest.raises(AttributeError):
        units.updates_per_step = 2  # frozen: one statement for the whole run


def test_resume_points_come_by_the_clock_between_save_steps():
    """Ten-minute steps, save_steps 100 (16 h), a resume point at least every 30 minutes: a
    checkpoint every third step, and at the hundredth as the paper's save_steps asks."""
    now = [0.0]

    def clock():
        return now[0]

    callback = training.resume_callback(30, clock=clock)
    saved = []
    from types import SimpleNamespace

    from transformers import TrainerControl

    state = SimpleNamespace(global_step=0)
    callback.on_train_begin(None, state, TrainerControl())
    for step in range(1, 101):
        now[0] += 600  # one step: ten minutes
        state.global_step = step
        control = TrainerControl(should_save=step % 100 == 0)
        callback.on_step_end(None, state, control)
        if control.should_save:
            saved.append(step)
            callback.on_save(None, state, control)
    assert saved == [*range(3, 100, 3), 100]
    # Without resume_minutes: the save_steps alone.
    plain = training.resume_callback(None, clock=clock)
    control = TrainerControl()
    plain.on_train_begin(None, state, control)
    now[0] += 10**6
    plain.on_step_end(None, state, control)
    assert not control.should_save


def test_exports_come_at_save_steps_only(tmp_path):
    """A resume point between save_steps exports nothing (the figures read exports)."""
    from types import SimpleNamespace

    from transformers import TrainerControl

    callback = training.export_callback(tmp_path, None, every=8)
    callback.trainer = None  # an export would need it: only steps 8 and 16 may ask
    state = SimpleNamespace(global_step=0, is_world_process_zero=True)
    for step in range(1, 17):
        state.global_step = step
        control = TrainerControl(should_save=True)  # a resume point at every step
        if step % 8:
            callback.on_step_end(None, state, control)
        else:
            with pytest.raises(RuntimeError, match="set the export callback's trainer"):
                callback.on_step_end(None, state, control)


def test_per_process_logs_merge_in_step_order(tmp_path):
    from judgerl.files import read_jsonl, write_jsonl

    write_jsonl(
        training.rank_log(tmp_path, "judge_calls", 1),
        [{"step": 1, "r": 1}, {"step": 2, "r": 1}],
    )
    write_jsonl(
        training.rank_log(tmp_path, "judge_calls", 0),
        [{"step": 1, "r": 0}, {"step": 2, "r": 0}, {"step": 3, "r": 0}],
    )
    # a resumed process drops the rows of the steps it redoes, in its own file only
    training.truncate_jsonl_after(training.rank_log(tmp_path, "judge_calls", 0), 2)
    out = tmp_path / "judge_calls.jsonl"
    assert len(training.merge_rank_logs(tmp_path, "judge_calls", out)) == 4
    assert [(r["step"], r["r"]) for r in read_jsonl(out)] == [
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
    ]


def test_the_paper_grpo_learning_rate_stays_constant():
    """verl, the paper's trainer, keeps its rate constant; TRL's default decays it to 0."""
    cfg = load("paper")
    for section in ("judge_grpo", "policy_grpo"):
        assert cfg["training"][section]["lr_scheduler_type"] == "constant"


def _colocated_engines(cfg: dict, launch: dict):
    """Each of a config's colocated vLLM engines as the trainers build them (trl_args for the
    layout's world size, then colocated_vllm_args) and as make plan counts them (its job's
    rollout engine): (job name, GRPOConfig arguments, planned job)."""
    from judgerl import grpo_batch, plan

    cfg = {**cfg, "launch": launch}
    sections = {"train_judge_grpo": "judge_grpo", "train_policy": "policy_grpo"}
    for job in plan.jobs(cfg):
        if job.rule not in sections:
            continue
        section = sections[job.rule]
        override = (
            cfg["policy_runs"][job.subject]
            if job.rule == "train_policy"
            else cfg["judges"][job.subject]
        ).get("grpo", {})
        world = Layout.of(launch[job.rule]).world_size
        trl = grpo_batch.trl_args({**cfg["training"][section], **override}, world)
        yield job.name, trl, job


def test_the_paper_colocated_vllm_has_room_for_its_kv_cache(tiny_model_dir, tmp_path):
    """Defect 4. TRL starts its colocated vLLM with max_num_seqs = the rollouts a process
    generates at once (trl/trainer/grpo_trainer.py:1124), and vLLM's start-up profile samples
    that many rows of full-vocabulary fp32 logits inside its share of the GPU, ahead of the KV
    cache. At paper scale, built as the trainers build it: the max_num_seqs that make plan counts
    is the one TRL passes (read off the built GRPOConfig), vLLM accepts it, sleep mode is off, and
    the plan's KV budget is positive, holds the sequences the plan decodes at once, and is more
    than the profile takes. On one node (the paper config's old 4 + 4 GPUs) the profile took
    3.2 GB of the 3.6 GB left beside the weights of an 8B policy."""
    from transformers import AutoTokenizer
    from trl import GRPOConfig

    from judgerl import plan

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompts = [[{"role": "user", "content": "word " * 20}]]
    cfg = load("paper")
    checked = 0
    for name, trl, job in _colocated_engines(cfg, cfg["launch"]):
        extra = training.colocated_vllm_args(trl, tokenizer, prompts)
        assert extra["vllm_enable_sleep_mode"] is False, name
        config = GRPOConfig(**training.trainer_args(tmp_path, 0, **trl), **extra)
        assert config.vllm_mode == "colocate" and not config.vllm_enable_sleep_mode
        passed = (
            config.per_device_train_batch_size
            * config.vllm_tensor_parallel_size
            * config.steps_per_generation
        )
        engine = job.rollout_engine
        assert engine["vllm"] and training.colocated_max_num_seqs(trl) == passed, name
        assert (
            engine["max_batch"] == passed <= training.COLOCATED_MAX_NUM_BATCHED_TOKENS
        )
        arch = cfg["models"][
            cfg["judges"][job.subject]["base"]
            if job.rule == "train_judge_grpo"
            else cfg["policy_runs"][job.subject]["policy"]
        ]["architecture"]
        profile = job.memory["vllm start-up profile"]
        assert profile == plan.PROFILE_COPIES * 4 * passed * arch["vocab"], name
        budget, concurrency = engine["kv_budget"], engine["concurrency"]
        assert budget >= concurrency * engine["kv_per_sequence"] > 0, name
        assert budget > profile, (name, budget / 1e9, profile / 1e9)
        assert job.fits, (name, job.problems)
        checked += 1
    assert checked == 8 + 35  # every judge GRPO and policy run
    # The same check on the layout the paper config had: the policy trainer on 4 GPUs of one
    # node, its judge on the other 4 (max_num_seqs 2048).
    one_node = copy.deepcopy(cfg["launch"])
    one_node["train_policy"].update(nodes=1, processes=4)
    one_node["train_policy"]["judge_server"].update(
        nodes=0, gpus=4, tensor_parallel_size=4
    )
    jobs = {name: job for name, _, job in _colocated_engines(cfg, one_node)}
    llama = jobs["train_policy:llama-vs-r-qwen3-4b"]
    assert llama.rollout_engine["max_batch"] == 2048
    assert llama.rollout_engine["kv_budget"] < llama.memory["vllm start-up profile"]


def test_colocated_vllm_that_vllm_would_refuse_stops_before_the_trainer(tiny_model_dir):
    """max_num_seqs above the 4096 batched tokens that TRL sets: vLLM would not start."""
    from transformers import AutoTokenizer

    from judgerl import grpo_batch

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    trl = grpo_batch.trl_args(load("paper")["training"]["judge_grpo"], processes=2)
    assert training.colocated_max_num_seqs(trl) == 8192
    with pytest.raises(
        ValueError, match=r"max_num_seqs 8192 .*\(launch\.<rule>\.nodes"
    ):
        training.colocated_vllm_args(trl, tokenizer, ["a prompt"])
