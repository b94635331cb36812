"""The rule graph's picture: `snakemake --rulegraph dot` text parsed and drawn."""

import io

from judgerl import rulegraph

DOT = """digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
    node[shape=box, style=rounded, fontname=sans,                 fontsize=10, penwidth=2];
    edge[penwidth=2, color=grey];
\t0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
\t1[label = "train", color = "0.33 0.6 0.85", style="rounded"];
\t2[label = "prepare_model", color = "0.49 0.6 0.85", style="rounded"];
\t3[label = "annotate", color = "0.01 0.6 0.85", style="rounded"];
\t4[label = "make_splits", color = "0.41 0.6 0.85", style="rounded"];
\t1 -> 0
\t3 -> 0
\t2 -> 1
\t3 -> 1
\t4 -> 3
\t2 -> 3
\t3 -> 3
}
"""


def test_parse_names_rules_by_label_and_keeps_every_edge():
    graph = rulegraph.parse(DOT)
    assert set(graph.nodes) == {
        "all",
        "train",
        "prepare_model",
        "annotate",
        "make_splits",
    }
    assert set(graph.edges) == {
        ("train", "all"),
        ("annotate", "all"),
        ("prepare_model", "train"),
        ("annotate", "train"),
        ("make_splits", "annotate"),
        ("prepare_model", "annotate"),
        ("annotate", "annotate"),
    }


def test_generations_place_each_rule_below_what_it_reads():
    layers = rulegraph.generations(rulegraph.parse(DOT))
    assert [sorted(layer) for layer in layers] == [
        ["make_splits", "prepare_model"],
        ["annotate"],
        ["train"],
        ["all"],
    ]
    pos = rulegraph.positions(layers)
    assert pos["make_splits"][1] == pos["prepare_model"][1] == 0
    assert pos["all"] == (0.5, -3.0)  # centred under the two-rule row


def test_main_writes_a_png(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(DOT))
    out = tmp_path / "rulegraph.png"
    rulegraph.main([str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "5 rules, 7 edges" in capsys.readouterr().out
