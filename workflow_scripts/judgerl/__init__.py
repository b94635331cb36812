"""Library behind the workflow's rule scripts: one job per module.

config      -- the study's config: canonical form, schema defaults, checks across sections
data        -- instruction sources (embedded, Tulu 3 mixture), seeded splits, gold examples
models      -- the model registry: preparing and loading models
candidates  -- the default's candidate responses: trimmed samples, some degraded
known_gold  -- a gold judge that is a known function, with a trace that walks its checks
prompts     -- the judge prompts (pointwise 0-9, pairwise) and how they are rendered for a model
verdicts    -- reading a judge's output: verdict parsing, validity, expected score, Eq. 1 / 3
engines     -- inference backends behind one interface: transformers, vLLM, OpenAI-compatible HTTP
serving     -- a judge served by `vllm serve` that a training job starts, checks and stops; the
               reward's client over several servers
judging     -- the one place that turns (instruction, response) pairs into judge verdicts
annotation  -- the gold's annotation: its items (balanced pairwise order) and verdicts
evaluation  -- a judge on the test split: verdicts in chunks and the master-key probe
robustness  -- the gold re-rating adversarial answers under other prompt wordings
scoring     -- policy answers scored pointwise or as win rates against baseline answers
agreement   -- a judge against gold: Krippendorff's alpha, accuracy, malformed rate, Eq. 1 / 3
rewards     -- GRPO rewards: judge accuracy (Eq. 1 / 3), judge as reward, Eq. 4; the KL monitor
               and the gold on the training rollouts (logged, weight 0)
training    -- TRL trainer configs, resume, checkpoint export and logs shared by the trainers
judge_trainer -- a judge's prompt dataset, its SFT and GRPO trainers, the choice of its GRPO step
policy_trainer -- policy GRPO against a judge: reward, monitors, served judge, the trainer
grpo_batch  -- the GRPO batch in the paper's terms, the step units (paper steps, TRL updates,
               rollouts) every conversion goes through, and the TRL arguments derived from them
layout      -- a trainer's nodes, processes per node and judge servers, and its SLURM resources
launch      -- the one way a trainer starts: in place, `accelerate launch`, or srun over nodes
sharding    -- what FSDP needs beyond accelerate's prepare: TRL's reference model broadcast
tracking    -- a trainer's logged scalars mirrored to TensorBoard / W&B, continued on resume
progress    -- done / total, rate and time left of a long job, a line at most every minute
stats       -- Krippendorff's alpha and bootstrap intervals, from kept libraries
tables      -- the paper's tables and which runs each policy figure shows
hacking     -- the hacking onset of a policy run
adversarial -- detectors of the adversarial patterns the paper's policies learned
probes      -- master-key probes: content-free and adversarial answers put to a judge
arena       -- Arena-Hard-V2 (a sub-package): its config section, arena-hard-auto's files and
               prompts, answers, the judge's games, Bradley-Terry scores with style control,
               the paper's tables
plan        -- `make plan`: memory, step time, wall time against limits, GPU-hours of every GPU job
learning_checks -- whether a finished run learned: each checked quantity and its threshold
files       -- atomic writes and resumable JSONL
runtime     -- what every rule script does first, and how it finds its job
rulegraph   -- the picture of the workflow's rules (`make rulegraph`)
"""
