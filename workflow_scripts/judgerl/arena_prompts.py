"""arena-hard-auto's own judge prompts, read from its files at a pinned commit (config
`arena_hard.prompts`), so that Tables 1 and 6 are judged with the leaderboard's words.

Its system prompt per category is `JUDGE_SETTINGS` in `utils/judge_utils.py` (a dict of string
literals, one of them through a module-level constant); the user turn is `prompt_template` in
`config/arena-hard-v2.0.yaml`. The Python file is read with `ast`, never run.
"""

from __future__ import annotations

import ast

import yaml

JUDGE_UTILS = "utils/judge_utils.py"
BENCH_CONFIG = "config/arena-hard-v2.0.yaml"
FIELDS = ("{QUESTION}", "{ANSWER_A}", "{ANSWER_B}")


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


def read(judge_utils: str, bench_config: str, source: dict) -> dict:
    """The prompts of both files, with where they came from."""
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


def messages(
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
