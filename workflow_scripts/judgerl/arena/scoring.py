"""Arena-Hard-V2 scores: battle rows with their style features (length, headers, lists, bold),
per category one fit over every contestant and the published pool, without style control (the
bootstrap mean of a model's rows) and with it (a Bradley-Terry fit with the style columns,
refitted on bootstrap samples). Scores are percentages against the baseline, with 90% intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from judgerl.arena.answers import CATEGORIES, answer_metadata, answer_text
from judgerl.arena.games import battle_rows

STYLE_FEATURES = ("length", "header", "list", "bold")
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


_NO_ROWS = {"score": math.nan, "ci_low": math.nan, "ci_high": math.nan, "rows": 0}


def _bootstrap_means(
    battles: Battles, rounds: int, rng: np.random.Generator
) -> dict[str, dict]:
    """Without style control: each model's mean over bootstrap resamples of its own rows."""
    out = {}
    for m, name in enumerate(battles.models):
        rows = battles.outcome[battles.index == m]
        if rows.size == 0:
            out[name] = dict(_NO_ROWS)
            continue
        means = np.array(
            [rng.choice(rows, rows.size, replace=True).mean() for _ in range(rounds)]
        )
        out[name] = {
            "score": _percent(means.mean()),
            "ci_low": _percent(np.quantile(means, 0.05)),
            "ci_high": _percent(np.quantile(means, 0.95)),
            "rows": int(rows.size),
        }
    return out


def _bootstrap_bradley_terry(
    battles: Battles, rounds: int, rng: np.random.Generator
) -> dict[str, dict]:
    """With style control: the median and interval of sigma(beta_model - beta_baseline) over
    Bradley-Terry fits on bootstrap samples of all rows."""
    n_models, n = len(battles.models), len(battles.outcome)
    samples = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        diff = fit_bradley_terry(
            n_models, battles.index[pick], battles.outcome[pick], battles.style[pick]
        )
        samples.append(1.0 / (1.0 + np.exp(-diff)))
    samples = np.array(samples)
    out = {}
    for m, name in enumerate(battles.models):
        rows = int((battles.index == m).sum())
        if rows == 0:
            out[name] = dict(_NO_ROWS)
            continue
        out[name] = {
            "score": _percent(np.median(samples[:, m])),
            "ci_low": _percent(np.quantile(samples[:, m], 0.05)),
            "ci_high": _percent(np.quantile(samples[:, m], 0.95)),
            "rows": rows,
        }
    return out


def score_battles(
    battles: Battles, style_control: bool, rounds: int = 100, seed: int = 0
) -> dict[str, dict]:
    """Score and 90% interval (percent) of each model against the baseline."""
    rng = np.random.default_rng(seed)
    if style_control:
        return _bootstrap_bradley_terry(battles, rounds, rng)
    return _bootstrap_means(battles, rounds, rng)


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


def log_dropped(rows: list[dict], log) -> None:
    """One line per contestant and category that lost questions to an unreadable verdict."""
    for row in rows:
        if row["dropped"]:
            log.info(
                "%s, %s: %d of %d questions dropped (a game without a readable verdict)",
                row["contestant"],
                row["category"],
                row["dropped"],
                row["questions"],
            )
