"""Rules generate_arena_answers / generate_arena_baseline: answers to the Arena-Hard-V2 questions in
arena-hard-auto's answer layout (uid, model, messages, metadata with the style counts).

A contestant (an initial policy, or a run's last checkpoint) answers every question. The baseline
file holds, per category, either the answers of a configured model made here or those of an
arena-hard answer file (e.g. o3-mini's). Answers are kept as they are made; a rerun continues.
"""

import logging

from judgerl import files, runtime
from judgerl.arena import answers


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_arena_answers")
    params = snakemake.params
    questions = answers.load_questions(snakemake.input.questions)
    count_tokens = answers.TokenCounter(params.length_tokenizer)
    progress = files.ResumableJsonl(
        snakemake.output.answers, key="uid", job=runtime.job_record(snakemake)
    )
    if snakemake.rule == "generate_arena_answers":
        contestant = {
            "name": params.name,
            "model_dir": snakemake.input.model[0],
            "spec": params.spec,
            "sampling": params.sampling,
        }
        groups = answers.contestant_todo(questions, progress, contestant)
    else:
        groups = answers.baseline_todo(questions, params.baselines, progress)
    answers.answer_groups(
        groups,
        len(questions),
        params.backend,
        params.seed,
        count_tokens,
        progress,
        log,
    )
    progress.finish([q["uid"] for q in questions])


if __name__ == "__main__":
    main(runtime.current_job(globals()))
