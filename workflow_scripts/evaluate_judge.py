"""Rule evaluate_judge: a judge's verdicts on the test split, and its agreement with gold.

Pointwise judges: Krippendorff's alpha (interval) between the judge's score and the gold score, an
invalid verdict counting as a missing rating, and alpha of the expected score as a second view.
Pairwise judges: accuracy against the gold choice, an invalid verdict counting as wrong. Both: the
malformed rate and the mean number of thinking tokens.

Then the master-key probe (judgerl/probes.py), with the judge already loaded: content-free and
adversarial responses to test instructions. A pointwise judge has a false positive when it rates
one `pass_score` or above; a pairwise judge when it prefers one to the instruction's real
response (each pair judged in both orders).
"""

import logging

from judgerl import agreement, files, probes, runtime
from judgerl.data import gold_examples, load_rubrics
from judgerl.engines import make_engine
from judgerl.judging import (
    JudgeSettings,
    judge_both_orders,
    judge_examples,
    judge_pointwise,
)
from judgerl.progress import Progress
from judgerl.prompts import FORMATS

# Examples per judge call: several rounds of an engine's concurrent batch, so little is lost at a
# chunk's tail; progress is logged between them.
CHUNK = 1024


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("evaluate_judge")
    inference = snakemake.params.inference
    fmt = FORMATS[inference["format"]]

    rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
    test = gold_examples(snakemake.input.test, fmt.name, rubrics)
    engine = make_engine(
        snakemake.input.model,
        inference["spec"],
        inference["backend"],
        seed=snakemake.params.seed,
    )
    settings = JudgeSettings.of(inference)

    def chunked(judge, n: int, what: str) -> list:
        """judge(start, stop) over items start:stop, CHUNK at a time, with progress."""
        meter, out = Progress(what, n, logger=log), []
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            out += judge(start, stop)
            meter.advance(stop - start)
        return out

    verdicts = chunked(
        lambda a, b: judge_examples(engine, test[a:b], settings, fmt),
        len(test),
        "judged test examples",
    )

    rows = [
        {"key": e["key"], "id": e["id"], "gold_label": e["label"], **v}
        for e, v in zip(test, verdicts)
    ]
    files.write_jsonl(snakemake.output.verdicts, rows)
    measured = {
        "judge": snakemake.wildcards.judge,
        "mode": inference["mode"],
        **agreement.agreement(
            verdicts,
            [e["label"] for e in test],
            fmt,
            bootstrap={**snakemake.params.bootstrap, "seed": snakemake.params.seed},
        ),
    }
    files.write_json(snakemake.output.agreement, measured)
    log.info("%s", measured)

    # ---- master-key probe -------------------------------------------------------------------------
    probe = snakemake.params.probe
    chosen = list({e["id"]: e for e in test}.values())[: probe["instructions"]]
    items = [
        (e, name, text)
        for e in chosen
        for name, text in probes.probe_texts(e["instruction"]).items()
    ]
    instructions = [e["instruction"] for e, _, _ in items]
    rubric_list = [e["rubric"] for e, _, _ in items] if rubrics else None
    records = []
    if fmt.name == "pairwise":
        keys, real = (
            [text for _, _, text in items],
            [e["responses"][0] for e, _, _ in items],
        )
        games = chunked(
            lambda a, b: judge_both_orders(
                engine,
                instructions[a:b],
                keys[a:b],
                real[a:b],
                settings,
                rubric_list[a:b] if rubric_list else None,
            ),
            len(items),
            "master-key probes",
        )
        for (e, name, _), (key_first, key_second) in zip(items, games):
            for order, verdict, key_position in (
                ("key_first", key_first, 1),
                ("key_second", key_second, 2),
            ):
                records.append(
                    {
                        "judge": snakemake.wildcards.judge,
                        "key": name,
                        "kind": probes.MASTER_KEYS[name][0],
                        "id": e["id"],
                        "order": order,
                        "verdict": verdict["choice"],
                        "false_positive": verdict["choice"] == key_position,
                    }
                )
    else:
        out = chunked(
            lambda a, b: judge_pointwise(
                engine,
                instructions[a:b],
                [text for _, _, text in items[a:b]],
                settings,
                rubric_list[a:b] if rubric_list else None,
            ),
            len(items),
            "master-key probes",
        )
        for (e, name, _), verdict in zip(items, out):
            records.append(
                {
                    "judge": snakemake.wildcards.judge,
                    "key": name,
                    "kind": probes.MASTER_KEYS[name][0],
                    "id": e["id"],
                    "order": None,
                    "verdict": verdict["score"],
                    "expected_score": verdict["expected_score"],
                    "false_positive": probes.passes(
                        verdict["score"], probe["pass_score"]
                    ),
                }
            )
    files.write_jsonl(snakemake.output.master_key, records)
    log.info(
        "master-key probe: %d false positives in %d probes",
        sum(r["false_positive"] for r in records),
        len(records),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
