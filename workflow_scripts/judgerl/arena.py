"""Arena-Hard-V2: its judge prompt, verdict labels, battles, style features and scores, compatible
with arena-hard-auto's published method (read from the code of lmarena/arena-hard-auto).

- Two games per question: game 1 shows the baseline as A and the model as B, game 2 the reverse.
  A verdict is one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]; the last label in the judge's
  output counts. A question with either game missing or unreadable is dropped (counted).
- Battle rows from the model's side: a win 1, a tie 0.5, a loss 0; a strong verdict counts
  `weight` (3) times.
- Without style control a model's score is the mean of its rows; its interval comes from 100
  bootstrap rounds that resample the model's own rows (5th / 95th percentiles: a 90% interval).
- With style control, a Bradley-Terry fit with four standardized style columns (length, headers,
  lists, bold) is refitted on 100 bootstrap samples of all rows of the category; the score is the
  median of sigma(beta_model - beta_baseline), the interval its 5th / 95th percentiles.
Scores are percentages, the baseline 50 by definition.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

CATEGORIES = ("hard_prompt", "creative_writing")
LABELS = (
    "A>>B",
    "A>B",
    "A=B",
    "B>A",
    "B>>A",
)  # what a forced (argmax) verdict chooses from
# Outcome for assistant A, repeated for strong verdicts (each entry is one battle row).
_OUTCOME_A = {
    "A>B": (1.0,),
    "A>>B": (1.0,) * 3,
    "A=B": (0.5,),
    "B>A": (0.0,),
    "B>>A": (0.0,) * 3,
    "A<B": (0.0,),
    "A<<B": (0.0,) * 3,
    "B<A": (1.0,),
    "B<<A": (1.0,) * 3,
    "B=A": (0.5,),
}
_DOUBLE = re.compile(r"\[\[([AB<>=]+)\]\]")
_SINGLE = re.compile(r"\[([AB<>=]+)\]")
STYLE_FEATURES = ("length", "header", "list", "bold")


# ---- the judge's prompt ----------------------------------------------------------------------

_JUDGE_RULES = {
    "hard_prompt": (
        "Before you look at the assistants' answers, write your own answer to the user prompt. Then "
        "compare both assistants' answers with yours: find and correct any mistakes or inaccurate "
        "information."
    ),
    "creative_writing": "",
}

_JUDGE_SYSTEM = """\
You are an impartial judge of the answers two AI assistants gave to the user prompt shown below. \
Decide which answer is better.

{own_answer}Weigh whether each answer is helpful (it answers the prompt and follows its \
instructions; where the prompt is ambiguous, asking for clarification beats assuming), relevant \
(every part of it concerns the prompt) and concise (clear, not verbose). Then weigh creativity and \
novelty where they matter, and any important information that an answer leaves out.

End with exactly one verdict label:
1. Assistant A is significantly better: [[A>>B]]
2. Assistant A is slightly better: [[A>B]]
3. Tie, relatively the same: [[A=B]]
4. Assistant B is slightly better: [[B>A]]
5. Assistant B is significantly better: [[B>>A]]

Example output: "My final verdict is tie: [[A=B]]"."""

_JUDGE_USER = """\
<|User Prompt|>
{prompt}

<|The Start of Assistant A's Answer|>
{a}
<|The End of Assistant A's Answer|>

<|The Start of Assistant B's Answer|>
{b}
<|The End of Assistant B's Answer|>"""

# A forced verdict continues the judge's reply from here (only for stand-in judges; see arena_hard).
VERDICT_PREFIX = "My final verdict is: [["


def judge_messages(
    category: str,
    prompt: str,
    answer_a: str,
    answer_b: str,
    prompts: dict | None = None,
) -> list[dict]:
    """A game's conversation: in arena-hard-auto's own words when `prompts` (arena_prompts.read)
    is given, else in this workflow's."""
    if prompts is not None:
        from judgerl import arena_prompts

        return arena_prompts.messages(prompts, category, prompt, answer_a, answer_b)
    if category not in _JUDGE_RULES:
        raise ValueError(
            f"unknown Arena-Hard category {category!r}; expected one of {CATEGORIES}"
        )
    own = _JUDGE_RULES[category]
    system = _JUDGE_SYSTEM.format(own_answer=f"{own}\n\n" if own else "")
    return [
        {"role": "system", "content": system},
        {
            "role": "user",
            "content": _JUDGE_USER.format(prompt=prompt, a=answer_a, b=answer_b),
        },
    ]


def parse_label(judgment: str | None) -> str | None:
    """The verdict label of a judgment: the last [[...]] label, else the last [...] one; None if
    there is none or it is not a known label."""
    if not judgment:
        return None
    text = judgment.upper()
    found = _DOUBLE.findall(text) or _SINGLE.findall(text)
    if not found:
        return None
    label = found[-1].strip()
    return label if label in _OUTCOME_A else None


def judge_games(
    engine,
    questions: list[dict],
    answers: dict[str, dict],
    baseline: dict[str, dict],
    judge: dict,
    prompts: dict | None = None,
) -> list[dict]:
    """Both games of every question, as arena-hard judgment records (uid, category, judge, model,
    baseline, games). Game 1 shows the baseline as assistant A, game 2 the contestant.

    judge: name, verdict (`parsed`: the judge writes its judgment, the last label counts;
    `argmax`: the most probable label sequence after VERDICT_PREFIX, local engines only), sampling.
    """
    from judgerl.engines import LocalEngine, Sampling

    conversations = []
    for q in questions:
        mine, theirs = answer_text(answers[q["uid"]]), answer_text(baseline[q["uid"]])
        conversations += [
            judge_messages(q["category"], q["prompt"], theirs, mine, prompts),
            judge_messages(q["category"], q["prompt"], mine, theirs, prompts),
        ]
    if judge["verdict"] == "argmax":
        if not isinstance(engine, LocalEngine):
            raise ValueError(
                "arena_hard.judge.verdict 'argmax' needs a local judge (transformers backend)"
            )
        prefixes = [engine.render(c, None) + VERDICT_PREFIX for c in conversations]
        scores = engine.continuation_logprobs(
            prefixes, [f"{label}]]" for label in LABELS]
        )
        games = []
        for row in scores:
            label = LABELS[max(range(len(row)), key=row.__getitem__)]
            games.append(
                {
                    "score": label,
                    "judgment": f"{VERDICT_PREFIX}{label}]]",
                    "label_logprobs": [round(x, 4) for x in row],
                }
            )
    else:
        completions = engine.complete(
            conversations, Sampling.from_config(judge["sampling"])
        )
        games = [
            {"score": parse_label(c.text), "judgment": c.text} for c in completions
        ]
    return [
        {
            "uid": q["uid"],
            "category": q["category"],
            "judge": judge["name"],
            "model": answers[q["uid"]]["model"],
            "baseline": baseline[q["uid"]]["model"],
            "judge_prompts": prompts["source"] if prompts else "judgerl.arena",
            "games": games[2 * k : 2 * k + 2],
        }
        for k, q in enumerate(questions)
    ]


# ---- battles ---------------------------------------------------------------------------------


def battle_rows(judgment: dict, weight: int = 3) -> list[float]:
    """The model's outcomes from one judgment record (games[0]: A = baseline, games[1]: A = model).
    Empty when either game has no readable verdict: the question is dropped, as arena-hard does."""
    games = judgment.get("games") or []
    if len(games) != 2 or any(
        g is None or g.get("score") not in _OUTCOME_A for g in games
    ):
        return []
    rows = []
    for game, model_is_a in ((games[0], False), (games[1], True)):
        outcomes = _OUTCOME_A[game["score"]]
        if len(outcomes) > 1:
            outcomes = (outcomes[0],) * weight
        rows += [s if model_is_a else 1.0 - s for s in outcomes]
    return rows


# ---- style features --------------------------------------------------------------------------

_FENCE = re.compile(r"```.*?```", re.DOTALL)
_HEADERS = {f"h{n}": re.compile(rf"^{'#' * n}\s", re.MULTILINE) for n in range(1, 7)}
_ORDERED = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
_UNORDERED = re.compile(r"^\s*[-*+]\s", re.MULTILINE)
_BOLD = {"**": re.compile(r"\*\*[^*\n]+\*\*"), "__": re.compile(r"__[^_\n]+__")}


def answer_metadata(answer: str, n_tokens: int) -> dict:
    """An answer's style counts in arena-hard's answer-file layout: its token length, and the
    markdown outside code blocks (headers by level, ordered / unordered list items, bold spans)."""
    prose = _FENCE.sub("", answer)
    return {
        "token_len": int(n_tokens),
        "header_count": {level: len(p.findall(prose)) for level, p in _HEADERS.items()},
        "list_count": {
            "ordered": len(_ORDERED.findall(prose)),
            "unordered": len(_UNORDERED.findall(prose)),
        },
        "bold_count": {mark: len(p.findall(prose)) for mark, p in _BOLD.items()},
    }


def style_counts(metadata: dict) -> dict:
    """The four totals the style features use, from an answer's metadata."""
    return {
        "tokens": metadata["token_len"],
        "header": sum(metadata["header_count"].values()),
        "list": sum(metadata["list_count"].values()),
        "bold": sum(metadata["bold_count"].values()),
    }


def answer_style(record: dict) -> dict:
    """An answer record's style counts, its markdown counted here from its text (code blocks
    stripped by the same pattern for every answer, a baseline's from arena-hard-auto's files too),
    its length from its metadata (the configured token counter's)."""
    return style_counts(
        answer_metadata(answer_text(record), record["metadata"]["token_len"])
    )


def style_difference(model: dict, baseline: dict) -> list[float]:
    """The four style columns of one battle: relative length, then the difference of each markdown
    density (count per token) relative to their sum."""
    lm, lb = model["tokens"], baseline["tokens"]
    row = [(lm - lb) / (lm + lb) if lm + lb else 0.0]
    for key in STYLE_FEATURES[1:]:
        dm, db = model[key] / (lm + 1), baseline[key] / (lb + 1)
        row.append((dm - db) / (dm + db + 1))
    return row


def standardize(columns: np.ndarray) -> np.ndarray:
    """z-scores per column (unbiased std); a constant column carries no style signal and becomes 0."""
    columns = np.asarray(columns, dtype=float)
    if len(columns) < 2:
        return np.zeros_like(columns)
    std, mean = columns.std(axis=0, ddof=1), columns.mean(axis=0)
    # Float noise of a constant column (std ~1e-16) must not be scaled up into a signal.
    constant = std <= 1e-9 * np.maximum(1.0, np.abs(mean))
    return np.where(constant, 0.0, (columns - mean) / np.where(constant, 1.0, std))


# ---- scores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Battles:
    """All battle rows of one category: which model each row is, its outcome, its style row."""

    models: list[str]  # row i belongs to models[index[i]]
    index: np.ndarray
    outcome: np.ndarray
    style: np.ndarray | None  # standardized, one row per battle row


def fit_bradley_terry(
    n_models: int,
    index: np.ndarray,
    outcome: np.ndarray,
    style: np.ndarray | None = None,
) -> np.ndarray:
    """Per-model strength against the baseline (column n_models), by the arena-hard fit: soft-target
    logistic loss summed over rows, no intercept, no penalty, LBFGS from 0.5. Returns
    beta_model - beta_baseline for each model.

    arena-hard runs LBFGS at a fixed step (lr 0.1, 50 iterations), which is not converged on a few
    dozen rows (a win rate of 2/3 comes out as 0.6658); a strong-Wolfe line search reaches the
    same maximum-likelihood fit on any number of rows.
    """
    import torch

    n = len(outcome)
    design = torch.zeros((n, n_models + 1), dtype=torch.float64)
    design[torch.arange(n), torch.as_tensor(index)] = 1.0
    design[:, n_models] = -1.0
    if style is not None:
        design = torch.cat([design, torch.as_tensor(style, dtype=torch.float64)], dim=1)
    target = torch.as_tensor(outcome, dtype=torch.float64)
    params = torch.full(
        (design.shape[1],), 0.5, dtype=torch.float64, requires_grad=True
    )
    optimizer = torch.optim.LBFGS(
        [params],
        lr=1.0,
        max_iter=100,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            design @ params, target, reduction="sum"
        )
        loss.backward()
        return loss

    optimizer.step(closure)
    beta = params.detach().numpy()
    return beta[:n_models] - beta[n_models]


def _percent(x: float) -> float:
    return 100.0 * float(x)


def score_battles(
    battles: Battles, style_control: bool, rounds: int = 100, seed: int = 0
) -> dict[str, dict]:
    """Score and 90% interval (percent) of each model against the baseline."""
    rng = np.random.default_rng(seed)
    out = {}
    if not style_control:
        for m, name in enumerate(battles.models):
            rows = battles.outcome[battles.index == m]
            if rows.size == 0:
                out[name] = {
                    "score": math.nan,
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                    "rows": 0,
                }
                continue
            means = np.array(
                [
                    rng.choice(rows, rows.size, replace=True).mean()
                    for _ in range(rounds)
                ]
            )
            out[name] = {
                "score": _percent(means.mean()),
                "ci_low": _percent(np.quantile(means, 0.05)),
                "ci_high": _percent(np.quantile(means, 0.95)),
                "rows": int(rows.size),
            }
        return out
    n_models, n = len(battles.models), len(battles.outcome)
    samples = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        diff = fit_bradley_terry(
            n_models, battles.index[pick], battles.outcome[pick], battles.style[pick]
        )
        samples.append(1.0 / (1.0 + np.exp(-diff)))
    samples = np.array(samples)
    for m, name in enumerate(battles.models):
        rows = int((battles.index == m).sum())
        if rows == 0:
            out[name] = {
                "score": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "rows": 0,
            }
            continue
        out[name] = {
            "score": _percent(np.median(samples[:, m])),
            "ci_low": _percent(np.quantile(samples[:, m], 0.05)),
            "ci_high": _percent(np.quantile(samples[:, m], 0.95)),
            "rows": rows,
        }
    return out


def category_battles(
    judgments: dict[str, list[dict]],
    styles: dict[str, dict[str, dict]],
    baseline_styles: dict[str, dict],
    weight: int = 3,
) -> tuple[Battles, dict[str, int]]:
    """Battles of every model in one category, with their style rows, and the count of questions
    dropped per model (a game without a readable verdict).

    judgments: model -> its judgment records; styles: model -> uid -> style_counts;
    baseline_styles: uid -> style_counts of the baseline's answer.
    """
    models = list(judgments)
    index, outcome, style, dropped = [], [], [], {}
    for m, name in enumerate(models):
        dropped[name] = 0
        for record in judgments[name]:
            rows = battle_rows(record, weight)
            if not rows:
                dropped[name] += 1
                continue
            diff = style_difference(
                styles[name][record["uid"]], baseline_styles[record["uid"]]
            )
            index += [m] * len(rows)
            outcome += rows
            style += [diff] * len(rows)
    style_matrix = standardize(np.array(style).reshape(-1, len(STYLE_FEATURES)))
    return Battles(
        models, np.array(index, dtype=int), np.array(outcome, dtype=float), style_matrix
    ), dropped


# ---- answer files (arena-hard-auto's model_answer layout) ------------------------------------


def answer_record(
    uid: str, model: str, prompt: str, answer: str, metadata: dict
) -> dict:
    return {
        "uid": uid,
        "ans_id": f"{model}:{uid}",
        "model": model,
        "messages": [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": {"answer": answer}},
        ],
        "metadata": metadata,
    }


def answer_text(record: dict) -> str:
    """The answer of an answer-file record; only the answer is judged, never a thought."""
    content = record["messages"][-1]["content"]
    return content["answer"] if isinstance(content, dict) else content


def read_answers(rows: list[dict], source: str) -> dict[str, dict]:
    """uid -> record, checked: every record has an assistant answer and style metadata."""
    out = {}
    for row in rows:
        if "uid" not in row or not row.get("messages") or "metadata" not in row:
            raise ValueError(
                f"{source}: a record without uid, messages or metadata (arena-hard answer layout "
                f"expected): {str(row)[:200]}"
            )
        out[row["uid"]] = row
    return out


def read_questions(rows: list[dict], source: str) -> list[dict]:
    """Questions in arena-hard-auto's layout, checked: uid, category (one we score), prompt."""
    for row in rows:
        missing = [k for k in ("uid", "category", "prompt") if k not in row]
        if missing:
            raise ValueError(
                f"{source}: a question without {', '.join(missing)}: {str(row)[:200]}"
            )
        if row["category"] not in CATEGORIES:
            raise ValueError(
                f"{source}: question {row['uid']} has category {row['category']!r}; "
                f"expected one of {CATEGORIES}"
            )
    uids = [row["uid"] for row in rows]
    if len(set(uids)) != len(uids):
        raise ValueError(f"{source}: question uids repeat")
    return rows


class TokenCounter:
    """The one token count every answer's length feature uses: tiktoken (arena-hard: gpt-4o's
    o200k_base) or a model's tokenizer, from config `arena_hard.length_tokenizer`."""

    def __init__(self, spec: dict):
        if spec["kind"] == "tiktoken":
            import tiktoken

            encoding = tiktoken.get_encoding(spec["encoding"])
            # As arena-hard-auto counts: special-token text in an answer is plain text, not an error.
            self._encode = lambda text: encoding.encode(text, disallowed_special=())
        else:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(spec["path"])
            self._encode = lambda text: tokenizer.encode(text, add_special_tokens=False)

    def __call__(self, text: str) -> int:
        return len(self._encode(text))


# ---- scores of every contestant, and the paper's tables ---------------------------------------

SCORE_COLUMNS = [
    "contestant",
    "policy",
    "run",
    "step",
    "category",
    "baseline",
    "style_control",
    "score",
    "ci_low",
    "ci_high",
    "battle_rows",
    "questions",
    "dropped",
    "pool",  # models in the category's fit: contestants and the published pool
]
_CATEGORY_TITLES = {
    "creative_writing": "Creative writing",
    "hard_prompt": "Hard prompts",
}


def score_rows(
    contestants: list[dict],
    judgments: dict[str, list[dict]],
    answers: dict[str, dict[str, dict]],
    baseline: dict[str, dict],
    weight: int = 3,
    rounds: int = 100,
    seed: int = 0,
    pool: dict[str, tuple[list[dict], dict[str, dict]]] | None = None,
) -> list[dict]:
    """Long-format scores: one row per contestant, category and style control (off / on). Each
    category is one fit: its style-controlled fit holds every contestant and every `pool` model
    (name -> its judgments and answers: arena-hard-auto's published ones), so that the scores
    stand where the leaderboard's do; scores depend on the pool, as arena-hard's do."""
    pool = pool or {}
    judgments = {**{m: js for m, (js, _) in pool.items()}, **judgments}
    answers = {**{m: a for m, (_, a) in pool.items()}, **answers}
    rows = []
    for category in CATEGORIES:
        per_model = {
            name: [j for j in judgments[name] if j["category"] == category]
            for name in [c["contestant"] for c in contestants] + list(pool)
        }
        if not any(per_model.values()):
            continue
        styles = {
            name: {uid: answer_style(a) for uid, a in answers[name].items()}
            for name in per_model
        }
        base_styles = {uid: answer_style(a) for uid, a in baseline.items()}
        battles, dropped = category_battles(per_model, styles, base_styles, weight)
        base_name = next(j["baseline"] for js in per_model.values() for j in js)
        for style_control in (False, True):
            scores = score_battles(battles, style_control, rounds, seed)
            for c in contestants:
                name = c["contestant"]
                rows.append(
                    {
                        **c,
                        "category": category,
                        "baseline": base_name,
                        "style_control": style_control,
                        **{k: scores[name][k] for k in ("score", "ci_low", "ci_high")},
                        "battle_rows": scores[name]["rows"],
                        "questions": len(per_model[name]),
                        "dropped": dropped[name],
                        "pool": sum(bool(js) for js in per_model.values()),
                    }
                )
    return rows


def _cell(row: dict) -> str:
    if row is None or math.isnan(row["score"]):
        return "n/a"
    return f"{row['score']:.1f} (-{row['score'] - row['ci_low']:.1f} / +{row['ci_high'] - row['score']:.1f})"


def paper_table(
    rows: list[dict], contestants: list[dict], runs: list[str], judge: str | None = None
) -> tuple[list[str], list[list]]:
    """A table of the paper: each run's initial policy (step 0) and its last checkpoint, by category,
    without and with style control; cells are 'score (-lower / +upper)' of the 90% interval. The
    creative-writing columns name their `judge`: arena-hard-auto's own creative-writing board
    pools two judges without style control, these columns do not."""
    index = {(r["contestant"], r["category"], r["style_control"]): r for r in rows}
    info = {c["contestant"]: c for c in contestants}
    order = [
        (sc, c) for sc in (False, True) for c in ("creative_writing", "hard_prompt")
    ]

    def title(style_control: bool, category: str) -> str:
        notes = [f"{judge} judge"] if judge and category == "creative_writing" else []
        notes += ["style control"] if style_control else []
        return _CATEGORY_TITLES[category] + (f" ({', '.join(notes)})" if notes else "")

    headers = ["model", "run", "step"] + [title(sc, c) for sc, c in order]
    body = []
    for run in runs:
        for name in (info[run]["policy"], run):
            body.append(
                [
                    name,
                    run,
                    info[name]["step"],
                    *[_cell(index.get((name, c, sc))) for sc, c in order],
                ]
            )
    return headers, body
