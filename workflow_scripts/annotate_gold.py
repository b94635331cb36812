"""Rule annotate_gold: the gold judge scores every (instruction, candidate), keeping its trace.

Progress is appended batch by batch next to the output; a rerun after a crash continues where it
stopped. Invalid gold verdicts stay in the file (valid = false) and are counted; the judges train
on valid ones only, as the paper filters them. Below high effort, only the items whose score
matches the high-effort score are kept, as the paper does for its medium / low effort judges.
"""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_pointwise, keep_matching

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("annotate_gold")
gold = snakemake.params.gold
CHUNK = 32

items = []
for row in files.read_jsonl(snakemake.input.candidates):
    for k, response in enumerate(row["responses"]):
        items.append({"key": f"{row['id']}:{k}", "id": row["id"], "candidate": k, "instruction": row["instruction"],
                      "response": response, "origin": row["origins"][k]})

progress = files.ResumableJsonl(snakemake.output[0], key="key")
todo = [item for item in items if not progress.done(item["key"])]
log.info("%d items, %d already annotated", len(items), len(items) - len(todo))
if todo:
    model_dir = snakemake.input.model[0] if snakemake.input.model else None
    engine = make_engine(model_dir, gold["spec"], gold["backend"], seed=snakemake.params.seed)
    settings = JudgeSettings.from_config(gold["mode"], gold["sampling"])
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        verdicts = judge_pointwise(engine, [i["instruction"] for i in chunk], [i["response"] for i in chunk], settings)
        progress.add({**item, **verdict} for item, verdict in zip(chunk, verdicts))
        log.info("annotated %d / %d", len(items) - len(todo) + start + len(chunk), len(items))
invalid = sum(not progress.rows[item["key"]]["valid"] for item in items)
log.info("%d annotations, %d invalid (%.1f%%)", len(items), invalid, 100 * invalid / max(len(items), 1))
keep = None
if snakemake.input.reference:
    reference = files.read_jsonl(snakemake.input.reference[0])
    keep = lambda rows: keep_matching(rows, reference)  # noqa: E731
rows = progress.finish([item["key"] for item in items], keep=keep)
if keep is not None:
    log.info("%d of %d agree with high effort and are kept", len(rows), len(items))
