"""The policy trainer's pieces (judgerl/policy_trainer.py) that run before any model loads."""

import json
from types import SimpleNamespace

from judgerl import policy_trainer, serving


def job(tmp_path, launch=None, rubrics=()):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        "".join(
            json.dumps({"id": f"q{n}", "instruction": f"Question {n}?"}) + "\n"
            for n in range(2)
        )
    )
    return SimpleNamespace(
        input=SimpleNamespace(
            prompts=str(prompts), judge="results/judges/j", rubrics=list(rubrics)
        ),
        output=SimpleNamespace(train_log=str(tmp_path / "run" / "train_log.csv")),
        params=SimpleNamespace(
            launch=launch or {}, inference={"spec": {"dtype": "float16"}}
        ),
    )


def test_the_judge_is_served_only_where_the_launch_asks(tmp_path):
    assert policy_trainer.judge_server_spec(job(tmp_path)) is None
    spec = policy_trainer.judge_server_spec(
        job(tmp_path, {"judge_server": {"gpus": 2, "max_model_len": 4096}})
    )
    assert isinstance(spec, serving.ServerSpec)
    assert policy_trainer.work_dir(job(tmp_path)) == tmp_path / "run" / ".work"


def test_the_prompts_are_conversations_with_their_ids(tmp_path):
    rows = policy_trainer.prompt_dataset(job(tmp_path)).to_list()
    assert rows[0] == {
        "prompt": [{"role": "user", "content": "Question 0?"}],
        "instruction": "Question 0?",
        "id": "q0",
    }
    assert len(rows) == 2
