"""The Arena-Hard-V2 section of the config, resolved for the rules: where arena-hard-auto's
files come from, who answers, against which baselines, and which judge plays the games."""

from __future__ import annotations

from judgerl.config import canonical

SOURCE_DIR = "results/arena_hard/source"


def source_file(arena: dict, path: str) -> str:
    """A file of arena-hard-auto's: fetched from its dataset when `arena_hard.source` is set (the
    paper's 750 questions and its baselines' answers), else a path of this repository."""
    return f"{SOURCE_DIR}/{path}" if arena.get("source") else path


def fetched(arena: dict) -> list[str]:
    """The dataset paths to fetch: the questions and the baselines' answer files."""
    if not arena.get("source"):
        return []
    paths = [arena["questions"]]
    paths += [b["answers"] for b in arena["baselines"].values() if "answers" in b]
    for answers, judgments in pool(arena).values():
        paths += [answers, judgments]
    return list(dict.fromkeys(paths))


def pool(arena: dict) -> dict[str, tuple[str, str]]:
    """The published models that join the fit (config `arena_hard.pool`): their answer and
    judgment files, as paths inside arena-hard-auto's files."""
    spec = arena.get("pool")
    if not spec:
        return {}
    return {
        m: (spec["answers"].format(model=m), spec["judgments"].format(model=m))
        for m in spec["models"]
    }


def contestants(arena: dict, policy_runs: dict, last_step: int) -> list[dict]:
    """Every table run's initial policy (step 0) and its last checkpoint, each once."""
    out = {}
    for runs in arena["tables"].values():
        for run in runs:
            policy = policy_runs[run]["policy"]
            out.setdefault(
                policy, {"contestant": policy, "policy": policy, "run": None, "step": 0}
            )
            out[run] = {
                "contestant": run,
                "policy": policy,
                "run": run,
                "step": last_step,
            }
    return list(out.values())


def length_tokenizer(arena: dict) -> dict:
    """What counts answer tokens: {kind: tiktoken, encoding} or {kind: model, model: name}."""
    name = arena["length_tokenizer"]
    if name.startswith("tiktoken:"):
        return {"kind": "tiktoken", "encoding": name.removeprefix("tiktoken:")}
    return {"kind": "model", "model": name}


def baselines(arena: dict, models: dict) -> dict[str, dict]:
    """Per category: an answer file of arena-hard-auto's, or a model of ours that answers here."""
    out = {}
    for category, base in arena["baselines"].items():
        if "answers" in base:
            out[category] = {
                "name": base["name"],
                "answers": source_file(arena, base["answers"]),
            }
        else:
            out[category] = {
                "name": base.get("name", base["model"]),
                "model": base["model"],
                "spec": models[base["model"]],
                "sampling": base.get("sampling", arena["answers"]),
            }
    return canonical(out)


def judge(arena: dict, models: dict) -> dict:
    """The judge of the games: its name in the judgments, how its verdict is read, its backend."""
    judge = arena["judge"]
    backend = judge["backend"]
    return canonical(
        {
            "name": judge.get("name")
            or judge.get("model")
            or backend.get("served_model"),
            "verdict": judge["verdict"],
            "backend": backend,
            "model": judge.get("model"),
            "spec": models[judge["model"]] if "model" in judge else {},
            "sampling": {
                "temperature": judge["temperature"],
                "max_tokens": judge["max_tokens"],
            },
        }
    )
