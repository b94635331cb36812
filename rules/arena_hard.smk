# Arena-Hard-V2 (Tables 1 and 6): each table run's last checkpoint and its initial policy answer
# the questions; every answer meets the category's baseline answer in two games, positions
# swapped, before one judge (GPT-4.1 in the paper); Bradley-Terry scores with and without style
# control, with bootstrap intervals, in arena-hard-auto's layouts throughout. The config's
# Arena-Hard section is resolved by judgerl/arena/config.py.

from judgerl.arena import config as arena_config

ARENA_QUESTIONS = arena_config.source_file(ARENA, ARENA["questions"])
ARENA_FETCHED = arena_config.fetched(ARENA)
ARENA_BASELINE = arena_file("baseline_answers.jsonl")
ARENA_PROMPTS = arena_file("judge_prompts.json")
ARENA_POOL = arena_config.pool(ARENA)
ARENA_CONTESTANTS = arena_config.contestants(
    ARENA, config["policy_runs"], TRAINED_STEPS[-1]
)
CONTESTANTS = [c["contestant"] for c in ARENA_CONTESTANTS]
# How contestants and model baselines answer: `arena_hard.backend`, else evaluation's.
ARENA_ANSWER_BACKEND = ARENA.get("backend", config["evaluation"]["backend"])
ARENA_BASELINES = {
    category: (
        {**base, "model_dir": model_dir(base["model"])} if "model" in base else base
    )
    for category, base in arena_config.baselines(ARENA, config["models"]).items()
}
ARENA_JUDGE = arena_config.judge(ARENA, config["models"])
ARENA_LENGTH_TOKENIZER = arena_config.length_tokenizer(ARENA)
if ARENA_LENGTH_TOKENIZER["kind"] == "model":
    ARENA_LENGTH_TOKENIZER["path"] = model_dir(ARENA_LENGTH_TOKENIZER["model"])


wildcard_constraints:
    contestant="|".join(map(re.escape, CONTESTANTS)),


if ARENA_FETCHED:

    rule fetch_arena_hard:
        output:
            [arena_config.source_file(ARENA, path) for path in ARENA_FETCHED],
        log:
            "logs/arena_hard/fetch.log",
        conda:
            CONDA_ENV
        threads: 1
        params:
            source=ARENA["source"],
            files=ARENA_FETCHED,
        script:
            "../workflow_scripts/fetch_arena_hard.py"


if "prompts" in ARENA:

    rule fetch_arena_prompts:
        output:
            prompts=ARENA_PROMPTS,
        log:
            "logs/arena_hard/fetch_prompts.log",
        conda:
            CONDA_ENV
        threads: 1
        params:
            source=ARENA["prompts"],
        script:
            "../workflow_scripts/fetch_arena_prompts.py"


rule generate_arena_answers:
    input:
        questions=ARENA_QUESTIONS,
        model=lambda wc: [
            (
                policy_checkpoint(wc.contestant, TRAINED_STEPS[-1])
                if wc.contestant in RUNS
                else model_dir(wc.contestant)
            )
        ],
        length_tokenizer=ARENA_LENGTH_TOKENIZER.get("path", []),
    output:
        answers=arena_answers("{contestant}"),
    log:
        "logs/arena_hard/answers/{contestant}.log",
    conda:
        CONDA_ENV
    threads: rule_threads("generate_arena_answers")
    resources:
        **rule_resources("generate_arena_answers"),
    params:
        name="{contestant}",
        spec=lambda wc: model_spec(
            config["policy_runs"][wc.contestant]["policy"]
            if wc.contestant in RUNS
            else wc.contestant
        ),
        sampling=ARENA["answers"],
        backend=ARENA_ANSWER_BACKEND,
        length_tokenizer=ARENA_LENGTH_TOKENIZER,
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_arena_answers.py"


rule generate_arena_baseline:
    input:
        questions=ARENA_QUESTIONS,
        models=[b["model_dir"] for b in ARENA_BASELINES.values() if "model" in b],
        given=[b["answers"] for b in ARENA_BASELINES.values() if "answers" in b],
        length_tokenizer=ARENA_LENGTH_TOKENIZER.get("path", []),
    output:
        answers=ARENA_BASELINE,
    log:
        "logs/arena_hard/answers/baseline.log",
    conda:
        CONDA_ENV
    threads: rule_threads("generate_arena_baseline")
    resources:
        **rule_resources("generate_arena_baseline"),
    params:
        baselines=ARENA_BASELINES,
        backend=ARENA_ANSWER_BACKEND,
        length_tokenizer=ARENA_LENGTH_TOKENIZER,
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_arena_answers.py"


rule judge_arena:
    input:
        questions=ARENA_QUESTIONS,
        answers=arena_answers("{contestant}"),
        baseline=ARENA_BASELINE,
        model=served_model_input(ARENA_JUDGE["model"], ARENA_JUDGE["backend"]),
        prompts=[ARENA_PROMPTS] if "prompts" in ARENA else [],
    output:
        judgments=arena_judgments("{contestant}"),
    log:
        "logs/arena_hard/judgments/{contestant}.log",
    conda:
        CONDA_ENV
    threads: rule_threads("judge_arena")
    resources:
        # GPT-4.1 over HTTP at paper scale: no GPU unless config gives the judge one.
        **rule_resources("judge_arena"),
    params:
        judge=ARENA_JUDGE,
        seed=config["seed"],
    script:
        "../workflow_scripts/judge_arena.py"


rule arena_hard_tables:
    input:
        questions=ARENA_QUESTIONS,
        judgments=[arena_judgments(c) for c in CONTESTANTS],
        answers=[arena_answers(c) for c in CONTESTANTS],
        baseline=ARENA_BASELINE,
        pool_answers=[
            arena_config.source_file(ARENA, a) for a, _ in ARENA_POOL.values()
        ],
        pool_judgments=[
            arena_config.source_file(ARENA, j) for _, j in ARENA_POOL.values()
        ],
    output:
        **{
            f"{table}_csv": report(
                table_file(table, "csv"),
                caption="../report/arena_table.rst",
                category="Arena-Hard-V2",
            )
            for table in ARENA["tables"]
        },
        **{f"{table}_md": table_file(table, "md") for table in ARENA["tables"]},
        csv=report(
            table_file("arena_hard", "csv"),
            caption="../report/arena_hard.rst",
            category="Arena-Hard-V2",
        ),
        md=table_file("arena_hard", "md"),
    log:
        "logs/arena_hard_tables.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        contestants=ARENA_CONTESTANTS,
        tables=ARENA["tables"],
        weight=ARENA["weight"],
        rounds=ARENA["bootstrap_rounds"],
        judge=ARENA_JUDGE["name"],
        prompts=ARENA.get("prompts", {}),
        pool=list(ARENA_POOL),
        seed=config["seed"],
    script:
        "../workflow_scripts/arena_hard_tables.py"
