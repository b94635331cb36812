"""Arena-Hard-V2 scoring against hand-made cases: verdict labels, battle rows, style features,
Bradley-Terry with and without style control, bootstrap intervals."""

import math

import numpy as np
import pytest

from judgerl.arena import answers, fetch, games, paper_tables, prompts, scoring


@pytest.mark.parametrize(
    "text,label",
    [
        ("My final verdict is: [[A>B]]", "A>B"),
        ("first [[A>>B]], on reflection [[B>A]]", "B>A"),  # the last label wins
        ("verdict [b>>a]", "B>>A"),  # single brackets, any case
        ("[[A=B]] and [B>A]", "A=B"),  # double brackets take precedence
        ("no label here", None),
        ("[[A>>>B]]", None),  # not a label arena-hard knows
        ("", None),
        (None, None),
    ],
)
def test_parse_label(text, label):
    assert games.parse_label(text) == label


def game(label):
    return {"score": label, "judgment": f"[[{label}]]"}


def test_battle_rows_from_the_models_side():
    # Game 1 shows the baseline as A: "A>B" is a loss for the model; game 2 shows the model as A.
    assert games.battle_rows({"games": [game("A>B"), game("A>>B")]}) == [
        0.0,
        1.0,
        1.0,
        1.0,
    ]
    assert games.battle_rows({"games": [game("B>>A"), game("A=B")]}) == [
        1.0,
        1.0,
        1.0,
        0.5,
    ]
    assert games.battle_rows({"games": [game("B>A"), game("B>>A")]}, weight=1) == [
        1.0,
        0.0,
    ]
    # A question with a game that has no readable verdict is dropped.
    assert games.battle_rows({"games": [game("A>B"), {"score": None}]}) == []
    assert games.battle_rows({"games": [game("A>B"), None]}) == []


def test_answer_metadata_counts_markdown_outside_code():
    answer = (
        "# Title\n## Part\nSome **bold** and __also__ text.\n1. first\n2. second\n  - nested\n"
        "* star\n```\n# not a header\n- not a list item\n**not bold**\n```\n###no space is no header\n"
    )
    meta = answers.answer_metadata(answer, 40)
    assert meta["token_len"] == 40
    assert meta["header_count"] == {
        "h1": 1,
        "h2": 1,
        "h3": 0,
        "h4": 0,
        "h5": 0,
        "h6": 0,
    }
    assert meta["list_count"] == {"ordered": 2, "unordered": 2}
    assert meta["bold_count"] == {"**": 1, "__": 1}
    assert scoring.style_counts(meta) == {
        "tokens": 40,
        "header": 2,
        "list": 4,
        "bold": 2,
    }


def test_style_difference_by_hand():
    model = {"tokens": 30, "header": 3, "list": 0, "bold": 1}
    baseline = {"tokens": 10, "header": 0, "list": 0, "bold": 1}
    length, header, lists, bold = scoring.style_difference(model, baseline)
    assert length == pytest.approx(20 / 40)
    dm = 3 / 31
    assert header == pytest.approx(dm / (dm + 1))
    assert lists == 0.0
    bm, bb = 1 / 31, 1 / 11
    assert bold == pytest.approx((bm - bb) / (bm + bb + 1))


def test_standardize_unbiased_and_constant_columns_are_zero():
    z = scoring.standardize(np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]]))
    assert z[:, 0] == pytest.approx([-1.0, 0.0, 1.0])  # mean 3, unbiased std 2
    assert z[:, 1] == pytest.approx([0.0, 0.0, 0.0])
    # A constant that floats do not represent exactly: its std is noise, not style.
    third = np.full((80, 1), 100 / 150 - 50 / 150)
    assert third.std(ddof=1) > 0 and not scoring.standardize(third).any()


def test_bradley_terry_against_one_baseline_is_the_win_rate():
    # One model against one baseline: the MLE of sigma(beta_m - beta_b) is the mean outcome,
    # ties entering as half a win (soft targets).
    outcome = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 0.5])
    diff = scoring.fit_bradley_terry(1, np.zeros(6, dtype=int), outcome)
    assert 1 / (1 + math.exp(-diff[0])) == pytest.approx(outcome.mean(), abs=1e-6)


def test_style_control_by_hand():
    # Longer answers (f = +1) win 6 of 8 battles, shorter ones (f = -1) 1 of 2. The fit is
    # saturated: logit 0.75 at f = +1, logit 0.5 at f = -1, and the style-controlled score is the
    # win rate at z = 0, i.e. at the pool's mean style difference f = 0.6 (as arena-hard defines it):
    # sigma(0.8 * logit(0.75)).
    f = np.array([1.0] * 8 + [-1.0] * 2)
    outcome = np.array([1.0] * 6 + [0.0] * 2 + [1.0, 0.0])
    style = scoring.standardize(
        np.column_stack([f, np.zeros(10), np.zeros(10), np.zeros(10)])
    )
    diff = scoring.fit_bradley_terry(1, np.zeros(10, dtype=int), outcome, style)
    expected = 1 / (1 + math.exp(-0.8 * math.log(3)))
    assert 1 / (1 + math.exp(-diff[0])) == pytest.approx(expected, abs=1e-4)
    # Not below the raw rate 0.7: z = 0 is the pool's mean style, mostly "longer" (arena-hard #50).


def test_style_control_takes_out_a_length_advantage():
    # Both models win 30 of 40 battles. "verbose" is always longer than the baseline; "mixed" is
    # longer in half of its battles and wins 18 of those 20, and 12 of the 20 where it is shorter:
    # in this pool, being longer wins. With style control "verbose" keeps less of its win rate.
    rows = (
        [(0, 1.0, 1.0)] * 30
        + [(0, 0.0, 1.0)] * 10
        + [(1, 1.0, 1.0)] * 18
        + [(1, 0.0, 1.0)] * 2
        + [(1, 1.0, -1.0)] * 12
        + [(1, 0.0, -1.0)] * 8
    )
    index = np.array([r[0] for r in rows])
    outcome = np.array([r[1] for r in rows])
    f = np.array([r[2] for r in rows])
    assert outcome[index == 0].mean() == outcome[index == 1].mean() == 0.75
    style = scoring.standardize(
        np.column_stack([f, np.zeros_like(f), np.zeros_like(f), np.zeros_like(f)])
    )
    battles = scoring.Battles(["verbose", "mixed"], index, outcome, style)
    plain = scoring.score_battles(battles, style_control=False, rounds=100, seed=0)
    controlled = scoring.score_battles(battles, style_control=True, rounds=100, seed=0)
    assert plain["verbose"]["score"] == pytest.approx(75, abs=3)
    assert plain["mixed"]["score"] == pytest.approx(75, abs=3)
    # By hand (the saturated fit): at the pool's mean style f = 0.5, verbose sits half a length
    # slope below its logit(0.75); mixed three quarters of the way from logit(0.6) to logit(0.9).
    slope = (math.log(9) - math.log(1.5)) / 2
    sigma = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert controlled["verbose"]["score"] == pytest.approx(
        100 * sigma(math.log(3) - slope / 2), abs=4
    )
    assert controlled["mixed"]["score"] == pytest.approx(
        100 * sigma(math.log(1.5) + 1.5 * slope), abs=4
    )
    assert controlled["mixed"]["score"] > controlled["verbose"]["score"] + 10
    for result in controlled.values():
        assert result["ci_low"] <= result["score"] <= result["ci_high"]


def test_bootstrap_without_style_is_the_mean_of_resampled_means():
    battles = scoring.Battles(
        ["m"], np.zeros(8, dtype=int), np.array([1, 1, 1, 0, 0.5, 1, 0, 1.0]), None
    )
    result = scoring.score_battles(battles, style_control=False, rounds=100, seed=3)[
        "m"
    ]
    rng = np.random.default_rng(3)
    means = [rng.choice(battles.outcome, 8, replace=True).mean() for _ in range(100)]
    assert result["score"] == pytest.approx(100 * np.mean(means))
    assert result["ci_low"] == pytest.approx(100 * np.quantile(means, 0.05))
    assert result["ci_high"] == pytest.approx(100 * np.quantile(means, 0.95))
    assert result["ci_low"] <= 100 * battles.outcome.mean() <= result["ci_high"]
    assert result["rows"] == 8
    certain = scoring.Battles(["w"], np.zeros(3, dtype=int), np.ones(3), None)
    assert scoring.score_battles(certain, False)["w"] == {
        "score": 100.0,
        "ci_low": 100.0,
        "ci_high": 100.0,
        "rows": 3,
    }


def test_category_battles_drops_unreadable_questions_and_weights_strong_verdicts():
    meta = {"token_len": 10, "header_count": {}, "list_count": {}, "bold_count": {}}
    styles = {"m": {"q1": scoring.style_counts(meta), "q2": scoring.style_counts(meta)}}
    judgments = {
        "m": [
            {"uid": "q1", "games": [game("B>>A"), game("A>B")]},
            {"uid": "q2", "games": [game("A>B"), {"score": None}]},
        ]
    }
    battles, dropped = scoring.category_battles(
        judgments,
        styles,
        {"q1": scoring.style_counts(meta), "q2": scoring.style_counts(meta)},
    )
    assert dropped == {"m": 1}
    assert battles.outcome.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert battles.style.shape == (4, 4) and not battles.style.any()


def test_judge_prompt_per_category():
    hard = prompts.judge_messages("hard_prompt", "Q?", "ans A", "ans B")
    creative = prompts.judge_messages("creative_writing", "Q?", "ans A", "ans B")
    assert (
        "your own answer" in hard[0]["content"]
        and "your own answer" not in creative[0]["content"]
    )
    assert "[[A>>B]]" in hard[0]["content"] and "[[B>>A]]" in creative[0]["content"]
    user = hard[1]["content"]
    assert user.index("ans A") < user.index("ans B") and "Q?" in user
    with pytest.raises(ValueError, match="unknown Arena-Hard category"):
        prompts.judge_messages("math", "Q", "a", "b")


def test_forced_label_scores_are_the_label_sequence_logprobs(tiny_engine_fp32):
    import torch

    tiny_engine = (
        tiny_engine_fp32  # arithmetic: float32, so no machine's bf16 kernels enter
    )
    conversation = prompts.judge_messages(
        "creative_writing", "Say hello.", "hello", "Hello there!"
    )
    prefix = tiny_engine.render(conversation, None) + games.VERDICT_PREFIX
    labels = [f"{label}]]" for label in games.LABELS]
    scores = tiny_engine.continuation_logprobs([prefix], labels)[0]
    assert len(scores) == 5 and all(s < 0 for s in scores)
    # By hand for one label: the sum of each label token's log-probability after what precedes it.
    tok = tiny_engine.tokenizer
    head, tail = (
        tok.encode(prefix, add_special_tokens=False),
        tok.encode(labels[3], add_special_tokens=False),
    )
    with torch.inference_mode():
        logits = (
            tiny_engine.model(input_ids=torch.tensor([head + tail])).logits[0].float()
        )
    logp = torch.log_softmax(logits, dim=-1)
    by_hand = sum(float(logp[len(head) - 1 + k, t]) for k, t in enumerate(tail))
    assert scores[3] == pytest.approx(by_hand, abs=1e-3)


def test_questions_are_checked():
    good = {
        "uid": "a" * 16,
        "category": "hard_prompt",
        "subcategory": "math",
        "prompt": "1+1?",
    }
    assert answers.read_questions([good], "q.jsonl") == [good]
    with pytest.raises(ValueError, match="q.jsonl: a question without prompt"):
        answers.read_questions([{"uid": "x", "category": "hard_prompt"}], "q.jsonl")
    with pytest.raises(ValueError, match="category 'coding'"):
        answers.read_questions([{**good, "category": "coding"}], "q.jsonl")
    with pytest.raises(ValueError, match="uids repeat"):
        answers.read_questions([good, good], "q.jsonl")
    with pytest.raises(ValueError, match="arena-hard answer layout"):
        answers.read_answers([{"uid": "x"}], "a.jsonl")


def test_length_is_counted_by_the_configured_tokenizer(tiny_model_dir):
    count = answers.TokenCounter({"kind": "model", "path": str(tiny_model_dir)})
    assert count("Hello world, this is a test.") == 8


QUESTIONS = [
    {"uid": "q1", "category": "hard_prompt", "prompt": "What is 2 + 2?"},
    {"uid": "q2", "category": "creative_writing", "prompt": "A haiku about rain."},
]


def answer_file(model, texts):
    return {
        uid: answers.answer_record(
            uid, model, "p", text, answers.answer_metadata(text, len(text.split()))
        )
        for uid, text in texts.items()
    }


def test_games_through_an_openai_compatible_judge_are_parsed(fake_server):
    """The paper's path (GPT-4.1 over HTTP): the judge writes, the last label counts, an output
    without a label is a null game and drops its question from the scores."""
    from judgerl.engines import OpenAICompatibleEngine

    def said(text):
        return 200, {
            "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
            "usage": {"completion_tokens": 9},
        }

    server = fake_server(
        [
            said("My own answer: 4. Assistant B is right. [[B>>A]]"),
            said("A says 4, as mine does. Final verdict: [[A>B]]"),
            said("Both are fine poems. My final verdict is tie: [[A=B]]"),
            said("I cannot decide."),
        ]
    )
    try:
        engine = OpenAICompatibleEngine(
            server.url, "gpt-4.1", max_concurrency=1, top_logprobs=0
        )
        judge = {
            "name": "gpt-4.1",
            "verdict": "parsed",
            "sampling": {"temperature": 0.0, "max_tokens": 16000},
        }
        records = games.judge_games(
            engine,
            QUESTIONS,
            answer_file("mine", {"q1": "4", "q2": "Rain falls"}),
            answer_file("base", {"q1": "5", "q2": "Drops"}),
            judge,
        )
    finally:
        server.close()
    assert [[g["score"] for g in r["games"]] for r in records] == [
        ["B>>A", "A>B"],
        ["A=B", None],
    ]
    assert all(
        r["judge"] == "gpt-4.1" and r["model"] == "mine" and r["baseline"] == "base"
        for r in records
    )
    # Game 1 shows the baseline's answer first, game 2 the contestant's; the hard prompt asks the
    # judge for its own answer first, creative writing does not.
    first, second = (r["messages"][-1]["content"] for r in server.requests[:2])
    assert first.index("5") < first.index("<|The End of Assistant A") < first.index("4")
    assert (
        second.index("4") < second.index("<|The End of Assistant A") < second.index("5")
    )
    assert "own answer" in server.requests[0]["messages"][0]["content"]
    assert "own answer" not in server.requests[2]["messages"][0]["content"]
    assert all(
        r["max_tokens"] == 16000 and "logprobs" not in r for r in server.requests
    )
    assert games.battle_rows(records[0]) == [1.0] * 3 + [
        1.0
    ]  # B>>A in game 1, A>B in game 2: all wins
    assert games.battle_rows(records[1]) == []


def test_games_of_a_local_judge_read_the_most_probable_label(tiny_engine):
    judge = {"name": "gold", "verdict": "argmax", "sampling": {}}
    records = games.judge_games(
        tiny_engine,
        QUESTIONS,
        answer_file("mine", {"q1": "4", "q2": "Rain falls"}),
        answer_file("base", {"q1": "5", "q2": "Drops"}),
        judge,
    )
    for record in records:
        for game in record["games"]:
            logprobs = game["label_logprobs"]
            assert game["score"] == games.LABELS[logprobs.index(max(logprobs))]
            assert game["judgment"] == f"{games.VERDICT_PREFIX}{game['score']}]]"


def test_token_counts_take_special_token_text_as_text(monkeypatch):
    # arena-hard-auto counts with disallowed_special=(): an answer that contains "<|endoftext|>"
    # is counted, not refused. A byte-level encoding made here stands in for o200k_base (which
    # tiktoken would download).
    import tiktoken

    encoding = tiktoken.Encoding(
        name="bytes",
        pat_str=r"\S+|\s+",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={"<|endoftext|>": 256},
    )
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: encoding)
    count = answers.TokenCounter({"kind": "tiktoken", "encoding": "o200k_base"})
    assert count("ab <|endoftext|>") == len("ab <|endoftext|>")


def test_every_answers_markdown_is_counted_here_the_same_way():
    # A baseline file's own metadata counted a header inside a code block; the scores recount
    # every answer's markdown from its text with one pattern, and keep its token length.
    text = "```\n# comment in code\n```\n## Real header\n- item"
    record = answers.answer_record(
        "u1",
        "o3-mini",
        "Q",
        text,
        {
            "token_len": 17,
            "header_count": {"h1": 1, "h2": 1},
            "list_count": {"ordered": 0, "unordered": 1},
            "bold_count": {"**": 0, "__": 0},
        },
    )
    assert scoring.answer_style(record) == {
        "tokens": 17,
        "header": 1,
        "list": 1,
        "bold": 0,
    }


# A local copy shaped like arena-hard-auto's repository at a commit: the system prompts in
# utils/judge_utils.py (one through a module constant, as there), the user turn in the bench config.
JUDGE_UTILS = """
import re

BASE_PROMPT = "Judge A and B. {own}End with [[A>B]] or another label."

JUDGE_SETTINGS = {
    "hard_prompt": {"baseline": "o3-mini-2025-01-31", "system_prompt": BASE_PROMPT},
    "creative_writing": {
        "baseline": "gemini-2.0-flash-001",
        "system_prompt": "Judge the two stories. Correct any mistakes. [[A=B]] if tied.",
    },
}


def get_score(judgment, patterns):
    return re.findall(patterns[0], judgment)
"""
BENCH_CONFIG = """\
judge_model: gpt-4.1
prompt_template: "<|User Prompt|>\\n{QUESTION}\\n\\n<|A|>\\n{ANSWER_A}\\n<|/A|>\\n<|B|>\\n{ANSWER_B}\\n<|/B|>"
"""


def test_the_judge_prompts_are_arena_hard_autos_own_words(tmp_path, fake_server):
    """fetch_arena_prompts, run from a saved job on a local checkout, keeps the prompts verbatim
    and records their commit; the games are then asked in those words."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from judgerl.engines import OpenAICompatibleEngine

    root = Path(__file__).resolve().parents[1]
    checkout = tmp_path / "arena-hard-auto"
    (checkout / "utils").mkdir(parents=True)
    (checkout / "config").mkdir()
    (checkout / "utils/judge_utils.py").write_text(JUDGE_UTILS)
    (checkout / "config/arena-hard-v2.0.yaml").write_text(BENCH_CONFIG)
    source = {"repo": "lmarena/arena-hard-auto", "commit": "0" * 40}
    job = {
        "input": {"items": [], "named": {}},
        "output": {"items": ["prompts.json"], "named": {"prompts": "prompts.json"}},
        "log": {"items": ["fetch.log"], "named": {}},
        "params": {"source": {**source, "path": str(checkout)}},
        "wildcards": {},
        "threads": 1,
        "rule": "fetch_arena_prompts",
        "scriptdir": str(root / "workflow_scripts"),
        "launched": {},
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    script = root / "workflow_scripts/fetch_arena_prompts.py"
    subprocess.run([sys.executable, script, "job.json"], cwd=tmp_path, check=True)
    prompts = json.loads((tmp_path / "prompts.json").read_text())
    assert prompts["source"] == source
    assert prompts["system_prompts"] == {
        "hard_prompt": "Judge A and B. {own}End with [[A>B]] or another label.",
        "creative_writing": "Judge the two stories. Correct any mistakes. [[A=B]] if tied.",
    }

    server = fake_server([])
    server.reply = lambda body: {
        "choices": [{"message": {"content": "[[A>B]]"}, "finish_reason": "stop"}]
    }
    try:
        engine = OpenAICompatibleEngine(
            server.url, "gpt-4.1", max_concurrency=1, top_logprobs=0
        )
        judge = {"name": "gpt-4.1", "verdict": "parsed", "sampling": {"max_tokens": 64}}
        records = games.judge_games(
            engine,
            QUESTIONS,
            answer_file("mine", {"q1": "4 {x}", "q2": "Rain falls"}),
            answer_file("base", {"q1": "5", "q2": "Drops"}),
            judge,
            prompts,
        )
    finally:
        server.close()
    first, _, third, _ = server.requests
    assert first["messages"][0]["content"] == prompts["system_prompts"]["hard_prompt"]
    assert first["messages"][1]["content"] == (
        "<|User Prompt|>\nWhat is 2 + 2?\n\n<|A|>\n5\n<|/A|>\n<|B|>\n4 {x}\n<|/B|>"
    )
    assert third["messages"][0]["content"].startswith("Judge the two stories.")
    assert all(r["judge_prompts"] == source for r in records)

    # A file this reader does not understand is named, never run.
    (checkout / "utils/judge_utils.py").write_text("JUDGE_SETTINGS = make()\n")
    proc = subprocess.run(
        [sys.executable, script, "job.json"], cwd=tmp_path, capture_output=True
    )
    assert proc.returncode != 0
    assert "not a literal" in (tmp_path / "fetch.log").read_text()


def test_the_published_pool_joins_the_style_controlled_fit():
    """A contestant always longer than the baseline wins 30 of 40 questions. Alone, style control
    cannot tell its length from its skill; beside a published model that wins more when longer
    (as arena-hard-auto's pool shows), it keeps less of its win rate. Without style control the
    pool changes nothing: a score is a win rate against the baseline."""

    def judged(model, wins):
        out = []
        for k, won in enumerate(wins):
            pair = (
                [{"score": "B>A"}, {"score": "A>B"}]
                if won
                else [{"score": "A>B"}, {"score": "B>A"}]
            )
            out.append(
                {
                    "uid": f"q{k}",
                    "category": "hard_prompt",
                    "judge": "j",
                    "model": model,
                    "baseline": "base",
                    "games": pair,
                }
            )
        return out

    def answered(model, lengths):
        return {
            f"q{k}": answers.answer_record(
                f"q{k}", model, "p", "x", answers.answer_metadata("x", n)
            )
            for k, n in enumerate(lengths)
        }

    uids = range(40)
    baseline = answered("base", [50] * 40)
    verbose_wins = [k < 30 for k in uids]
    mixed_wins = [
        k < 18 or 20 <= k < 32 for k in uids
    ]  # 18 of 20 longer, 12 of 20 shorter
    contestants = [
        {"contestant": "verbose", "policy": "verbose", "run": None, "step": 0}
    ]
    judgments = {"verbose": judged("verbose", verbose_wins)}
    contestant_answers = {"verbose": answered("verbose", [100] * 40)}
    pool = {
        "mixed": (
            judged("mixed", mixed_wins),
            answered("mixed", [100] * 20 + [20] * 20),
        )
    }

    def scores(**kwargs):
        rows = scoring.score_rows(
            contestants, judgments, contestant_answers, baseline, **kwargs
        )
        assert [r["contestant"] for r in rows] == ["verbose", "verbose"]  # only ours
        return {r["style_control"]: r for r in rows}

    alone, pooled = scores(), scores(pool=pool)
    assert alone[True]["pool"] == 1 and pooled[True]["pool"] == 2
    assert alone[False]["score"] == pooled[False]["score"] == pytest.approx(75, abs=3)
    # Alone, the length difference is the same in every battle: no style signal.
    assert alone[True]["score"] == pytest.approx(75, abs=5)
    # Beside "mixed", being longer is worth a logit slope of about (log 9 - log 1.5) / 2 per
    # length unit; verbose's skill is its logit(0.75) less about half that slope (as in
    # test_style_control_takes_out_a_length_advantage): about 66.
    assert pooled[True]["score"] == pytest.approx(66, abs=5)
    assert pooled[True]["score"] < alone[True]["score"] - 5


@pytest.mark.slow  # five rule scripts, each a process of its own
def test_arena_hard_on_a_local_copy_of_arena_hard_autos_files(
    tmp_path, fake_server, run_job
):
    """The paper-scale path end to end on files shaped like arena-hard-auto's: its questions,
    baseline answers, prompts and a published pool model are fetched from a local copy; a
    contestant's games are judged (over an OpenAI-compatible API) in those prompts' words; the
    scores fit the contestant inside the pool."""
    import json

    from judgerl.files import read_jsonl, write_jsonl

    copy = tmp_path / "arena-hard-auto"
    data = "data/arena-hard-v2.0"
    (copy / "utils").mkdir(parents=True)
    (copy / "config").mkdir()
    (copy / "utils/judge_utils.py").write_text(JUDGE_UTILS)
    (copy / "config/arena-hard-v2.0.yaml").write_text(BENCH_CONFIG)
    questions = [
        {"uid": f"h{k}", "category": "hard_prompt", "prompt": f"Hard {k}?"}
        for k in range(6)
    ] + [
        {"uid": f"c{k}", "category": "creative_writing", "prompt": f"Story {k}."}
        for k in range(6)
    ]
    write_jsonl(copy / data / "question.jsonl", questions)
    base = {
        "hard_prompt": "o3-mini-2025-01-31",
        "creative_writing": "gemini-2.0-flash-001",
    }

    def answers_of(model, text, category=None):
        return [
            answers.answer_record(
                q["uid"],
                model,
                "p",
                text,
                answers.answer_metadata(text, len(text.split())),
            )
            for q in questions
            if category in (None, q["category"])
        ]

    for category, model in base.items():
        write_jsonl(
            copy / data / f"model_answer/{model}.jsonl",
            answers_of(model, "A plain answer.", category),
        )
    write_jsonl(
        copy / data / "model_answer/deepseek-r1.jsonl",
        answers_of("deepseek-r1", "A longer answer, with more words in it."),
    )
    write_jsonl(
        copy / data / "model_judgment/gpt-4.1/deepseek-r1.jsonl",
        [
            {
                "uid": q["uid"],
                "category": q["category"],
                "judge": "gpt-4.1",
                "model": "deepseek-r1",
                "baseline": base[q["category"]],
                "games": [{"score": "B>A"}, {"score": "A>B"}],
            }
            for q in questions
        ],
    )
    pool_files = {
        "answers": f"{data}/model_answer/deepseek-r1.jsonl",
        "judgments": f"{data}/model_judgment/gpt-4.1/deepseek-r1.jsonl",
    }
    files = [
        f"{data}/question.jsonl",
        *(f"{data}/model_answer/{m}.jsonl" for m in base.values()),
        *pool_files.values(),
    ]
    fetched = [f"results/arena_hard/source/{f}" for f in files]
    run_job(
        tmp_path,
        "fetch_arena_hard",
        {},
        {"files": fetched},
        {"source": {"path": str(copy)}, "files": files},
    )
    commit = "1" * 40
    run_job(
        tmp_path,
        "fetch_arena_prompts",
        {},
        {"prompts": "judge_prompts.json"},
        {
            "source": {
                "repo": "lmarena/arena-hard-auto",
                "commit": commit,
                "path": str(copy),
            }
        },
    )
    source = tmp_path / "results/arena_hard/source" / data
    write_jsonl(  # what rule generate_arena_baseline makes of the two baselines' files
        tmp_path / "baseline.jsonl",
        [
            a
            for m in base.values()
            for a in read_jsonl(source / f"model_answer/{m}.jsonl")
        ],
    )
    write_jsonl(tmp_path / "mine.jsonl", answers_of("mine", "Mine."))
    server = fake_server([])

    # The judge always prefers the contestant on hard prompts; on creative writing it always
    # prefers assistant A: one game won and one lost per question.
    def verdict(body):
        system, user = (m["content"] for m in body["messages"])
        mine_is_b = user.index("Mine.") > user.index("<|B|>")
        if system.startswith("Judge A and B"):
            return "[[B>A]]" if mine_is_b else "[[A>B]]"
        return "[[A>B]]"

    server.reply = lambda body: {
        "choices": [{"message": {"content": verdict(body)}, "finish_reason": "stop"}]
    }
    try:
        run_job(
            tmp_path,
            "judge_arena",
            {
                "questions": fetched[0],
                "answers": "mine.jsonl",
                "baseline": "baseline.jsonl",
                "model": [],
                "prompts": ["judge_prompts.json"],
            },
            {"judgments": "judgments/mine.jsonl"},
            {
                "judge": {
                    "name": "gpt-4.1",
                    "verdict": "parsed",
                    "sampling": {"temperature": 0.0, "max_tokens": 64},
                    "spec": {},
                    "backend": {
                        "kind": "openai",
                        "base_url": server.url,
                        "served_model": "gpt-4.1",
                        "max_concurrency": 1,
                        "top_logprobs": 0,
                    },
                },
                "seed": 0,
            },
        )
    finally:
        server.close()
    judged = read_jsonl(tmp_path / "judgments/mine.jsonl")
    assert all(j["judge_prompts"]["commit"] == commit for j in judged)
    assert {r["messages"][0]["content"][:14] for r in server.requests} == {
        "Judge A and B.",
        "Judge the two ",
    }
    contestant = {"contestant": "mine", "policy": "mine", "run": None, "step": 0}
    run_job(
        tmp_path,
        "arena_hard_tables",
        {
            "questions": fetched[0],
            "judgments": ["judgments/mine.jsonl"],
            "answers": ["mine.jsonl"],
            "baseline": "baseline.jsonl",
            "pool_answers": [f"results/arena_hard/source/{pool_files['answers']}"],
            "pool_judgments": [f"results/arena_hard/source/{pool_files['judgments']}"],
        },
        {
            "table1_csv": "table1.csv",
            "table1_md": "table1.md",
            "csv": "arena_hard.csv",
            "md": "arena_hard.md",
        },
        {
            "contestants": [contestant],
            "tables": {"table1": ["mine"]},
            "weight": 3,
            "rounds": 20,
            "judge": "gpt-4.1",
            "prompts": {"repo": "lmarena/arena-hard-auto", "commit": commit},
            "pool": ["deepseek-r1"],
            "seed": 0,
        },
    )
    import polars as pl

    scores = pl.read_csv(tmp_path / "arena_hard.csv")
    assert set(scores["contestant"]) == {"mine"} and set(scores["pool"]) == {2}
    plain = scores.filter(~pl.col("style_control"))
    by_category = dict(zip(plain["category"], plain["score"], strict=True))
    assert by_category["hard_prompt"] == 100.0
    assert by_category["creative_writing"] == pytest.approx(50, abs=10)
    table = pl.read_csv(tmp_path / "table1.csv")
    assert "Creative writing (gpt-4.1 judge, style control)" in table.columns
    assert (
        "1 models of arena-hard-auto's published pool"
        in (tmp_path / "table1.md").read_text()
    )
    assert (
        json.loads((tmp_path / "judge_prompts.json").read_text())["source"]["commit"]
        == commit
    )


class FakeAnswerEngine:
    """Answers every conversation with its prompt reversed; `cut` prompts end unfinished."""

    def __init__(self, cut=()):
        self.calls, self.cut = [], set(cut)

    def complete(self, conversations, sampling):
        from types import SimpleNamespace

        self.calls.append(len(conversations))
        prompts_asked = [c[-1]["content"] for c in conversations]
        return [
            SimpleNamespace(text=f" {p[::-1]} \n", finished=p not in self.cut)
            for p in prompts_asked
        ]


def arena_questions(n_hard, n_creative):
    return [
        {"uid": f"h{k}", "category": "hard_prompt", "prompt": f"hard {k}"}
        for k in range(n_hard)
    ] + [
        {"uid": f"c{k}", "category": "creative_writing", "prompt": f"story {k}"}
        for k in range(n_creative)
    ]


def test_answers_are_asked_in_chunks_and_recorded_with_their_style(
    tmp_path, monkeypatch
):
    from judgerl.files import ResumableJsonl

    monkeypatch.setattr(answers, "CHUNK", 2)
    questions = arena_questions(3, 0)
    progress = ResumableJsonl(tmp_path / "a.jsonl", key="uid")
    meter = type("Meter", (), {"advance": lambda self, n: advanced.append(n)})()
    advanced, engine = [], FakeAnswerEngine(cut={"hard 1"})
    cut = answers.answer_questions(
        engine, "m", questions, {"max_tokens": 8}, lambda t: len(t), progress, meter
    )
    assert cut == 1 and engine.calls == [2, 1] and advanced == [2, 1]
    record = progress.rows["h2"]
    assert answers.answer_text(record) == "2 drah"  # stripped
    assert record["model"] == "m" and record["metadata"]["token_len"] == 6


def test_baseline_answers_come_from_a_file_or_from_one_load_of_each_model(tmp_path):
    from judgerl.files import ResumableJsonl, write_jsonl

    questions = arena_questions(2, 2)
    given = tmp_path / "o3.jsonl"
    write_jsonl(
        given,
        [
            answers.answer_record(
                q["uid"], "o3", q["prompt"], "x", answers.answer_metadata("x", 1)
            )
            for q in questions[:2]
        ],
    )
    model = {"name": "ours", "model_dir": "m", "spec": {}, "sampling": {"t": 0}}
    baselines = {
        "hard_prompt": {"name": "o3-mini", "answers": str(given)},
        "creative_writing": model,
    }
    progress = ResumableJsonl(tmp_path / "b.jsonl", key="uid")
    groups = answers.baseline_todo(questions, baselines, progress)
    assert groups == [(model, questions[2:])]
    assert {r["model"] for r in progress.rows.values()} == {"o3-mini"}
    assert set(progress.rows) == {"h0", "h1"}
    # The same model with the same settings on both categories: loaded once for both.
    both = {"hard_prompt": model, "creative_writing": dict(model)}
    fresh = ResumableJsonl(tmp_path / "c.jsonl", key="uid")
    assert answers.baseline_todo(questions, both, fresh) == [(model, questions)]
    # An answer file without an answer to a question is named.
    write_jsonl(given, [])
    with pytest.raises(KeyError, match="no answer to 2 hard_prompt questions"):
        answers.baseline_todo(
            questions, baselines, ResumableJsonl(tmp_path / "d.jsonl", key="uid")
        )


def test_answer_groups_load_each_model_and_skip_the_done(tmp_path, monkeypatch):
    import logging

    from judgerl.files import ResumableJsonl

    loaded = []

    def make_engine(model_dir, spec, backend, seed):
        loaded.append(model_dir)
        return FakeAnswerEngine()

    monkeypatch.setattr(answers, "make_engine", make_engine)
    questions = arena_questions(2, 1)
    progress = ResumableJsonl(tmp_path / "a.jsonl", key="uid")
    sampling = {"max_tokens": 8}
    contestant = {"name": "me", "model_dir": "ckpt", "spec": {}, "sampling": sampling}
    groups = answers.contestant_todo(questions, progress, contestant)
    assert groups == [(contestant, questions)]
    answers.answer_groups(
        groups, 3, {"kind": "transformers"}, 0, len, progress, logging.getLogger("t")
    )
    assert loaded == ["ckpt"] and set(progress.rows) == {"h0", "h1", "c0"}
    # A rerun finds nothing to do and loads no model.
    again = answers.contestant_todo(questions, progress, contestant)
    answers.answer_groups(again, 3, {}, 0, len, progress, logging.getLogger("t"))
    assert again == [(contestant, [])] and loaded == ["ckpt"]


def test_every_question_needs_an_answer():
    table = {"h0": {}}
    answers.require_answers(table, [{"uid": "h0"}], "a.jsonl")
    with pytest.raises(KeyError, match=r"a.jsonl has no answer to 1 questions"):
        answers.require_answers(table, [{"uid": "h0"}, {"uid": "h1"}], "a.jsonl")


def test_the_published_pool_is_read_per_model(tmp_path):
    from judgerl.files import write_jsonl

    record = answers.answer_record("q", "p", "x", "y", answers.answer_metadata("y", 1))
    write_jsonl(tmp_path / "a.jsonl", [record])
    write_jsonl(tmp_path / "j.jsonl", [{"uid": "q", "games": []}])
    pool = answers.load_pool(
        ["p"], [str(tmp_path / "a.jsonl")], [str(tmp_path / "j.jsonl")]
    )
    assert pool == {"p": ([{"uid": "q", "games": []}], {"q": record})}


def test_judging_in_chunks_and_the_verdict_summary(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from judgerl.files import ResumableJsonl

    class Judge:
        def __init__(self):
            self.calls = []

        def complete(self, conversations, sampling):
            self.calls.append(len(conversations))
            return [SimpleNamespace(text="[[A>B]]") for _ in conversations]

    monkeypatch.setattr(games, "CHUNK", 2)
    questions = arena_questions(3, 0)
    mine = answer_file("mine", {q["uid"]: "m" for q in questions})
    base = answer_file("base", {q["uid"]: "b" for q in questions})
    judge = {"name": "j", "verdict": "parsed", "sampling": {"max_tokens": 8}}
    progress = ResumableJsonl(tmp_path / "j.jsonl", key="uid")
    advanced, engine = [], Judge()
    meter = SimpleNamespace(advance=advanced.append)
    games.judge_in_chunks(engine, questions, mine, base, judge, None, progress, meter)
    assert engine.calls == [4, 2] and advanced == [2, 1]  # two games per question
    records = list(progress.rows.values())
    assert {r["judge_prompts"] for r in records} == {"judgerl.arena"}
    records[0]["games"][1]["score"] = None
    assert games.verdict_summary(records) == (1, {"A>B": 5, None: 1})


def test_paper_table_titles_and_note():
    assert (
        paper_tables.column_title(True, "creative_writing", "gpt-4.1")
        == "Creative writing (gpt-4.1 judge, style control)"
    )
    assert paper_tables.column_title(False, "hard_prompt", "gpt-4.1") == "Hard prompts"
    rows = [
        {"category": "hard_prompt", "baseline": "o3-mini"},
        {"category": "creative_writing", "baseline": "gemini"},
    ]
    note = paper_tables.table_note(
        rows, "gpt-4.1", {"repo": "lmarena/arena-hard-auto", "commit": "ab" * 20}, 3
    )
    assert "(creative_writing: gemini, hard_prompt: o3-mini)" in note
    assert "lmarena/arena-hard-auto@abababababab" in note
    assert "3 models of arena-hard-auto's published pool" in note
    alone = paper_tables.table_note(rows, "j", {}, 0)
    assert "this workflow's wording" in alone and "not on the leaderboard's" in alone


def test_a_paper_table_is_written_with_its_note(tmp_path):
    import polars as pl

    paper_tables.write_paper_table(
        ["model", "score"],
        [["a", "50.0 (-1.0 / +1.0)"]],
        "The note.\n",
        tmp_path / "t.csv",
        tmp_path / "t.md",
    )
    assert pl.read_csv(tmp_path / "t.csv")["model"].to_list() == ["a"]
    assert (tmp_path / "t.md").read_text().endswith("|\n\nThe note.\n")


def test_arena_hard_autos_files_from_a_local_copy(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    (checkout / "data/q.jsonl").write_text("{}\n")
    path = fetch.dataset_file({"path": str(checkout)}, "data/q.jsonl")
    fetch.copy_file(path, tmp_path / "out/q.jsonl")
    assert (tmp_path / "out/q.jsonl").read_text() == "{}\n"
    with pytest.raises(FileNotFoundError, match="arena_hard.source.path"):
        fetch.dataset_file({"path": str(checkout)}, "data/none.jsonl")
    source = {"repo": "lmarena/arena-hard-auto", "commit": "0" * 40}
    assert fetch.repository_file({**source, "path": str(checkout)}, "data/q.jsonl")
    with pytest.raises(FileNotFoundError, match="arena_hard.prompts.path"):
        fetch.repository_file({**source, "path": str(checkout)}, "utils/x.py")
