# Arena-Hard-V2 (Tables 1 and 6): each table run's last checkpoint and its initial policy answer
# the questions; every answer meets the category's baseline answer in two games, positions
# swapped, before one judge (GPT-4.1 in the paper); Bradley-Terry scores with and without style
# control, with bootstrap intervals, in arena-hard-auto's layouts throughout.


if arena_fetched():

    rule fetch_arena_hard:
        output:
            [arena_file(path) for path in arena_fetched()],
        log:
            "logs/arena_hard/fetch.log",
        conda:
            CONDA_ENV
        threads: 1
        params:
            source=ARENA["source"],
            files=arena_fetched(),
        script:
            "../workflow_scripts/fetch_arena_hard.py"


rule generate_arena_answers:
    input:
        questions=arena_file(ARENA["questions"]),
        model=lambda wc: [arena_checkpoint(wc.contestant)],
        length_tokenizer=arena_length_tokenizer_input(),
    output:
        answers=arena_answers("{contestant}"),
    log:
        "logs/arena_hard/answers/{contestant}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_answers", "gpu", 0),
        mem_mb=resource("generate_answers", "mem_mb", 8000),
        runtime=resource("generate_answers", "runtime", 120),
    params:
        name="{contestant}",
        spec=lambda wc: arena_policy_spec(wc.contestant),
        sampling=ARENA["answers"],
        backend=arena_answer_backend(),
        length_tokenizer=arena_length_tokenizer(),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_arena_answers.py"


rule generate_arena_baseline:
    input:
        questions=arena_file(ARENA["questions"]),
        models=[b["model_dir"] for b in arena_baselines().values() if "model_dir" in b],
        given=[b["answers"] for b in arena_baselines().values() if "answers" in b],
        length_tokenizer=arena_length_tokenizer_input(),
    output:
        answers=ARENA_BASELINE,
    log:
        "logs/arena_hard/answers/baseline.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_answers", "gpu", 0),
        mem_mb=resource("generate_answers", "mem_mb", 8000),
        runtime=resource("generate_answers", "runtime", 120),
    params:
        baselines=arena_baselines(),
        backend=arena_answer_backend(),
        length_tokenizer=arena_length_tokenizer(),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_arena_answers.py"


rule judge_arena:
    input:
        questions=arena_file(ARENA["questions"]),
        answers=arena_answers("{contestant}"),
        baseline=ARENA_BASELINE,
        model=arena_judge_input(),
    output:
        judgments="results/arena_hard/judgments/{contestant}.jsonl",
    log:
        "logs/arena_hard/judgments/{contestant}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        # GPT-4.1 over HTTP at paper scale: no GPU unless config gives the judge one.
        gpu=resource("judge_arena", "gpu", 0),
        mem_mb=resource("judge_arena", "mem_mb", 8000),
        runtime=resource("judge_arena", "runtime", 240),
    params:
        judge=arena_judge(),
        seed=config["seed"],
    script:
        "../workflow_scripts/judge_arena.py"


rule arena_hard_tables:
    input:
        questions=arena_file(ARENA["questions"]),
        judgments=expand(
            "results/arena_hard/judgments/{contestant}.jsonl", contestant=CONTESTANTS
        ),
        answers=[arena_answers(c) for c in CONTESTANTS],
        baseline=ARENA_BASELINE,
    output:
        **{
            f"{table}_csv": report(
                f"results/tables/{table}.csv",
                caption="../report/arena_table.rst",
                category="Arena-Hard-V2",
            )
            for table in ARENA["tables"]
        },
        **{f"{table}_md": f"results/tables/{table}.md" for table in ARENA["tables"]},
        csv=report(
            "results/tables/arena_hard.csv",
            caption="../report/arena_hard.rst",
            category="Arena-Hard-V2",
        ),
        md="results/tables/arena_hard.md",
    log:
        "logs/arena_hard_tables.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        contestants=arena_contestants(),
        tables=ARENA["tables"],
        weight=ARENA.get("weight", 3),
        rounds=ARENA.get("bootstrap_rounds", 100),
        seed=config["seed"],
    script:
        "../workflow_scripts/arena_hard_tables.py"
