"""Library behind the workflow's rule scripts: one job per module.

prompts   -- the judge prompts (pointwise 0-9) and how they are rendered for a model
verdicts  -- reading a judge's output: score parsing, validity, expected score, Eq. 1
engines   -- inference backends behind one interface: transformers, vLLM, OpenAI-compatible HTTP
judging   -- the one place that turns (instruction, response) pairs into judge verdicts
rewards   -- rewards for GRPO: judge accuracy (Eq. 1) and the judge-as-reward for policies
training  -- TRL trainer configs, datasets and callbacks shared by the training scripts
stats     -- agreement (Krippendorff's alpha) and bootstrap intervals
data      -- instruction sources (embedded, Tulu 3 mixture) and seeded splits
models    -- the model registry: preparing and loading models
files     -- atomic writes and resumable JSONL
runtime   -- what every rule script does first: logging, threads, seeds
"""
