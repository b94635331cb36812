"""The conversation a judge of Arena-Hard-V2 games sees: this workflow's wording, or
arena-hard-auto's own judge prompts read from its files at a pinned commit (config
`arena_hard.prompts`), so that Tables 1 and 6 are judged with the leaderboard's words.

arena-hard-auto's system prompt per category is `JUDGE_SETTINGS` in `utils/judge_utils.py` (a
dict of string literals, one of them through a module-level constant); the user turn is
`prompt_template` in `config/arena-hard-v2.0.yaml`. The Python file is read with `ast`, never run.
"""

from __future__ import annotations

import ast

import yaml

from judgerl.arena.answers import CATEGORIES

JUDGE_UTILS = "utils/judge_utils.py"
BENCH_CONFIG = "config/arena-hard-v2.0.yaml"
FIELDS = ("{QUESTION}", "{ANSWER_A}", "{ANSWER_B}")

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


def judge_messages(
    category: str,
    prompt: str,
    answer_a: str,
    answer_b: str,
    prompts: dict | None = None,
) -> list[dict]:
    """A game's conversation: in arena-hard-auto's own words when `prompts` (read_published) is
    given, else in this workflow's."""
    if prompts is not None:
        return published_messages(prompts, category, prompt, answer_a, answer_b)
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


class PromptFileError(ValueError):
    pass


def _literal(node: ast.AST, names: dict[str, object]):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            _literal(k, names): _literal(v, names)
            for k, v in zip(node.keys, node.values)
        }
    raise PromptFileError(
        f"{JUDGE_UTILS}: line {getattr(node, 'lineno', '?')} is not a literal this reader knows"
    )


def system_prompts(judge_utils: str) -> dict[str, str]:
    """The system prompt of each category in `JUDGE_SETTINGS` of judge_utils.py's text."""
    names: dict[str, object] = {}
    for node in ast.parse(judge_utils).body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        name = node.targets[0].id
        if name == "JUDGE_SETTINGS":
            settings = _literal(node.value, names)
            return {
                category: entry["system_prompt"] for category, entry in settings.items()
            }
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            names[name] = node.value.value
    raise PromptFileError(f"{JUDGE_UTILS} defines no JUDGE_SETTINGS")


def read_published(judge_utils: str, bench_config: str, source: dict) -> dict:
    """arena-hard-auto's prompts from the text of its two files, with where they came from."""
    template = (yaml.safe_load(bench_config) or {}).get("prompt_template")
    if not template or not all(field in template for field in FIELDS):
        raise PromptFileError(
            f"{BENCH_CONFIG}: prompt_template is missing or lacks one of {FIELDS}"
        )
    return {
        "source": source,
        "system_prompts": system_prompts(judge_utils),
        "prompt_template": template,
    }


def published_messages(
    prompts: dict, category: str, question: str, answer_a: str, answer_b: str
) -> list[dict]:
    """A game's conversation in arena-hard-auto's words."""
    if category not in prompts["system_prompts"]:
        raise ValueError(
            f"arena-hard-auto's judge prompts have no category {category!r}; they have "
            f"{sorted(prompts['system_prompts'])}"
        )
    user = prompts["prompt_template"].format(
        QUESTION=question, ANSWER_A=answer_a, ANSWER_B=answer_b
    )
    return [
        {"role": "system", "content": prompts["system_prompts"][category]},
        {"role": "user", "content": user},
    ]
