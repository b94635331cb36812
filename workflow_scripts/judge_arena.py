"""Rule judge_arena: a contestant's Arena-Hard-V2 answers judged against the category's baseline,
two games per question (game 1: the baseline is assistant A; game 2: the contestant is), in
arena-hard-auto's judgment layout (uid, category, judge, model, baseline, games).

`parsed`: the judge writes its judgment, and its last [[label]] is the game's score (none: null,
and the question drops out of the scores; counted here). `argmax`: the most probable label after
"My final verdict is: [[", for stand-in judges too small to write one. Judgments are kept as they
are made; a rerun continues.
"""

import logging
import sys
from collections import Counter

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import arena, files, runtime
from judgerl.engines import LocalEngine, Sampling, make_engine

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("judge_arena")
judge = snakemake.params.judge
CHUNK = 16

questions = arena.read_questions(files.read_jsonl(snakemake.input.questions), snakemake.input.questions)
answers = arena.read_answers(files.read_jsonl(snakemake.input.answers), snakemake.input.answers)
baseline = arena.read_answers(files.read_jsonl(snakemake.input.baseline), snakemake.input.baseline)
for source, table in ((snakemake.input.answers, answers), (snakemake.input.baseline, baseline)):
    missing = [q["uid"] for q in questions if q["uid"] not in table]
    if missing:
        raise KeyError(f"{source} has no answer to {len(missing)} questions, e.g. {missing[:3]}")

progress = files.ResumableJsonl(snakemake.output.judgments, key="uid")
todo = [q for q in questions if not progress.done(q["uid"])]
log.info("%d questions, %d already judged", len(questions), len(questions) - len(todo))


def games(engine, chunk):
    """Both games of every question in the chunk: [(label, judgment text), ...] in game order."""
    conversations = []
    for q in chunk:
        mine, theirs = arena.answer_text(answers[q["uid"]]), arena.answer_text(baseline[q["uid"]])
        conversations += [arena.judge_messages(q["category"], q["prompt"], theirs, mine),
                          arena.judge_messages(q["category"], q["prompt"], mine, theirs)]
    if judge["verdict"] == "argmax":
        if not isinstance(engine, LocalEngine):
            raise ValueError("arena_hard.judge.verdict 'argmax' needs a local judge (transformers backend)")
        prefixes = [engine.render(c, None) + arena.VERDICT_PREFIX for c in conversations]
        scores = engine.continuation_logprobs(prefixes, [f"{label}]]" for label in arena.LABELS])
        out = []
        for row in scores:
            label = arena.LABELS[max(range(len(row)), key=row.__getitem__)]
            out.append((label, f"{arena.VERDICT_PREFIX}{label}]]", [round(x, 4) for x in row]))
        return out
    completions = engine.complete(conversations, Sampling.from_config(judge["sampling"]))
    return [(arena.parse_label(c.text), c.text, None) for c in completions]


if todo:
    model_dir = snakemake.input.model[0] if snakemake.input.model else None
    engine = make_engine(model_dir, judge["spec"], judge["backend"], seed=snakemake.params.seed)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        results = games(engine, chunk)
        records = []
        for k, q in enumerate(chunk):
            pair = results[2 * k : 2 * k + 2]
            records.append({
                "uid": q["uid"], "category": q["category"], "judge": judge["name"],
                "model": answers[q["uid"]]["model"], "baseline": baseline[q["uid"]]["model"],
                "games": [{"score": label, "judgment": text, **({"label_logprobs": lp} if lp else {})}
                          for label, text, lp in pair],
            })
        progress.add(records)
        log.info("judged %d / %d questions", len(questions) - len(todo) + start + len(chunk), len(questions))
rows = progress.finish([q["uid"] for q in questions])
unreadable = sum(any(g["score"] is None for g in r["games"]) for r in rows)
log.info("%d questions judged; %d with a game without a readable verdict (dropped from the scores)",
         len(rows), unreadable)
labels = Counter(g["score"] for r in rows for g in r["games"])
log.info("verdict labels over all games: %s", dict(labels))
