"""Rules generate_arena_answers / generate_arena_baseline: answers to the Arena-Hard-V2 questions in
arena-hard-auto's answer layout (uid, model, messages, metadata with the style counts).

A contestant (an initial policy, or a run's last checkpoint) answers every question. The baseline
file holds, per category, either the answers of a configured model made here or those of an
arena-hard answer file (e.g. o3-mini's). Answers are kept as they are made; a rerun continues.
"""

import json
import logging

from judgerl import arena, files, runtime
from judgerl.engines import Sampling, make_engine
from judgerl.progress import Progress

# Questions per call, as generate_answers: whole batches for vLLM, progress kept between them.
CHUNK = 256


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_arena_answers")
    questions = arena.read_questions(
        files.read_jsonl(snakemake.input.questions), snakemake.input.questions
    )
    count_tokens = arena.TokenCounter(snakemake.params.length_tokenizer)
    progress = files.ResumableJsonl(
        snakemake.output.answers, key="uid", job=runtime.job_record(snakemake)
    )

    def answer(name, model_path, spec, sampling, todo, meter):
        if not todo:
            return
        engine = make_engine(
            model_path, spec, snakemake.params.backend, seed=snakemake.params.seed
        )
        cut = 0
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            completions = engine.complete(
                [[{"role": "user", "content": q["prompt"]}] for q in chunk],
                Sampling.from_config(sampling),
            )
            progress.add(
                arena.answer_record(
                    q["uid"],
                    name,
                    q["prompt"],
                    c.text.strip(),
                    arena.answer_metadata(c.text.strip(), count_tokens(c.text.strip())),
                )
                for q, c in zip(chunk, completions)
            )
            cut += sum(not c.finished for c in completions)
            meter.advance(len(chunk))
        log.info("%s answered %d questions, %d cut at max_tokens", name, len(todo), cut)

    def new_meter(todo):
        """Progress over all questions; those answered before, or from a file, are done."""
        return Progress(
            "answered questions",
            len(questions),
            done=len(questions) - len(todo),
            logger=log,
        )

    if snakemake.rule == "generate_arena_answers":
        todo = [q for q in questions if not progress.done(q["uid"])]
        answer(
            snakemake.params.name,
            snakemake.input.model[0],
            snakemake.params.spec,
            snakemake.params.sampling,
            todo,
            new_meter(todo),
        )
    else:
        # Per category: an answer file supplies them, or a model answers here; a model that answers
        # several categories with the same settings is loaded once for all of them.
        by_model = {}
        for category, base in snakemake.params.baselines.items():
            todo = [
                q
                for q in questions
                if q["category"] == category and not progress.done(q["uid"])
            ]
            if "answers" in base:
                given = arena.read_answers(
                    files.read_jsonl(base["answers"]), base["answers"]
                )
                missing = [q["uid"] for q in todo if q["uid"] not in given]
                if missing:
                    raise KeyError(
                        f"{base['answers']} has no answer to {len(missing)} {category} questions, "
                        f"e.g. {missing[:3]}"
                    )
                progress.add({**given[q["uid"]], "model": base["name"]} for q in todo)
            else:
                key = json.dumps(
                    [base["name"], base["model_dir"], base["sampling"]], sort_keys=True
                )
                by_model.setdefault(key, (base, []))[1].extend(todo)
        meter = new_meter([q for _, todo in by_model.values() for q in todo])
        for base, todo in by_model.values():
            answer(
                base["name"],
                base["model_dir"],
                base["spec"],
                base["sampling"],
                todo,
                meter,
            )
    progress.finish([q["uid"] for q in questions])


if __name__ == "__main__":
    main(runtime.current_job(globals()))
