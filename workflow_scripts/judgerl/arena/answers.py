"""Arena-Hard-V2's questions and answer files in arena-hard-auto's layouts (uid, model, messages,
metadata with the style counts), the one token count of every answer, and a model answering the
questions."""

from __future__ import annotations

import json
import re

from judgerl import files
from judgerl.engines import Sampling, make_engine
from judgerl.progress import Progress

CATEGORIES = ("hard_prompt", "creative_writing")
# Questions per call, as generate_answers: whole batches for vLLM, progress kept between them.
CHUNK = 256

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


def load_answers(path: str) -> dict[str, dict]:
    """uid -> record of an answer file, checked by read_answers."""
    return read_answers(files.read_jsonl(path), path)


def require_answers(
    table: dict[str, dict], questions: list[dict], source: str, what: str = "questions"
) -> None:
    """Raise KeyError naming the questions that `table` (uid -> record) has no answer to."""
    missing = [q["uid"] for q in questions if q["uid"] not in table]
    if missing:
        raise KeyError(
            f"{source} has no answer to {len(missing)} {what}, e.g. {missing[:3]}"
        )


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


def load_questions(path: str) -> list[dict]:
    """The questions of a question file, checked by read_questions."""
    return read_questions(files.read_jsonl(path), path)


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


def contestant_todo(
    questions: list[dict], progress: files.ResumableJsonl, answerer: dict
) -> list[tuple[dict, list[dict]]]:
    """The questions a contestant (`answerer`: name, model_dir, spec, sampling) has yet to answer,
    as the one group that answer_groups takes."""
    return [(answerer, [q for q in questions if not progress.done(q["uid"])])]


def baseline_todo(
    questions: list[dict], baselines: dict[str, dict], progress: files.ResumableJsonl
) -> list[tuple[dict, list[dict]]]:
    """Per category of `baselines` (config.baselines with each model's model_dir): an answer file's
    records go onto `progress` at once, renamed to the baseline's name; the questions left to a
    model of ours are returned, grouped so that a model that answers several categories with the
    same settings is loaded once for all of them."""
    by_model = {}
    for category, base in baselines.items():
        todo = [
            q
            for q in questions
            if q["category"] == category and not progress.done(q["uid"])
        ]
        if "answers" in base:
            given = load_answers(base["answers"])
            require_answers(given, todo, base["answers"], f"{category} questions")
            progress.add({**given[q["uid"]], "model": base["name"]} for q in todo)
        else:
            key = json.dumps(
                [base["name"], base["model_dir"], base["sampling"]], sort_keys=True
            )
            by_model.setdefault(key, (base, []))[1].extend(todo)
    return list(by_model.values())


def answer_questions(
    engine, name: str, todo: list[dict], sampling: dict, count_tokens, progress, meter
) -> int:
    """`engine` answers `todo` as model `name`, CHUNK questions a call, each chunk's records added
    to `progress` (with their style metadata) and to `meter`. Returns how many answers were cut at
    max_tokens."""
    cut = 0
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        completions = engine.complete(
            [[{"role": "user", "content": q["prompt"]}] for q in chunk],
            Sampling.from_config(sampling),
        )
        progress.add(
            answer_record(
                q["uid"],
                name,
                q["prompt"],
                c.text.strip(),
                answer_metadata(c.text.strip(), count_tokens(c.text.strip())),
            )
            for q, c in zip(chunk, completions)
        )
        cut += sum(not c.finished for c in completions)
        meter.advance(len(chunk))
    return cut


def answer_with_model(
    answerer: dict,
    todo: list[dict],
    backend: dict,
    seed: int,
    count_tokens,
    progress,
    meter,
) -> int:
    """Load `answerer`'s model (name, model_dir, spec, sampling) on `backend` and answer `todo`;
    the model is freed on return, before the next one loads. Returns the answers cut."""
    engine = make_engine(answerer["model_dir"], answerer["spec"], backend, seed=seed)
    return answer_questions(
        engine,
        answerer["name"],
        todo,
        answerer["sampling"],
        count_tokens,
        progress,
        meter,
    )


def answer_groups(
    groups: list[tuple[dict, list[dict]]],
    n_questions: int,
    backend: dict,
    seed: int,
    count_tokens,
    progress: files.ResumableJsonl,
    log,
) -> None:
    """Each group's model answers its questions (contestant_todo / baseline_todo), one model
    loaded at a time; progress is counted over all `n_questions`, those answered before or taken
    from a file done."""
    left = sum(len(todo) for _, todo in groups)
    meter = Progress(
        "answered questions", n_questions, done=n_questions - left, logger=log
    )
    for answerer, todo in groups:
        if not todo:
            continue
        cut = answer_with_model(
            answerer, todo, backend, seed, count_tokens, progress, meter
        )
        log.info(
            "%s answered %d questions, %d cut at max_tokens",
            answerer["name"],
            len(todo),
            cut,
        )


def load_pool(
    models: list[str], answer_paths: list[str], judgment_paths: list[str]
) -> dict[str, tuple[list[dict], dict[str, dict]]]:
    """The published pool: model -> (its judgment records, uid -> its answer record)."""
    return {
        model: (files.read_jsonl(judged), load_answers(answered))
        for model, answered, judged in zip(
            models, answer_paths, judgment_paths, strict=True
        )
    }
