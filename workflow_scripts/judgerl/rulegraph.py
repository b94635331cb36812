"""The picture of the workflow's rules: `snakemake --rulegraph dot` drawn without graphviz.

`make rulegraph` pipes the dot text into `python -m judgerl.rulegraph docs/rulegraph.png`.
The rules are laid out top to bottom by topological generation (a rule stands one row
below the last rule it reads from), the rules of a row ordered by the mean place of what
they read, so that edges cross less."""

import argparse
import re
import sys
from pathlib import Path

import networkx as nx

NODE = re.compile(r'^\s*(\w+)\s*\[\s*label\s*=\s*"([^"]*)"', re.M)
EDGE = re.compile(r"^\s*(\w+)\s*->\s*(\w+)", re.M)


def parse(dot: str) -> nx.DiGraph:
    """The rule graph of a dot text: one node per rule, named by its label, and an edge from
    each rule to the rules that read its outputs."""
    labels = dict(NODE.findall(dot))
    graph = nx.DiGraph()
    graph.add_nodes_from(labels.values())
    for source, target in EDGE.findall(dot):
        graph.add_edge(labels[source], labels[target])
    return graph


def generations(graph: nx.DiGraph, sweeps: int = 4) -> list[list[str]]:
    """The rules per topological generation, each ordered to cross fewer edges: the rules
    sorted by the mean place of their neighbours in the generation before, then after. A rule
    that reads its own outputs (gold at a lower effort, filtered by high's) keeps its place:
    its edge to itself does not count as a generation."""
    acyclic = graph.copy()
    acyclic.remove_edges_from(list(nx.selfloop_edges(graph)))
    layers = [sorted(layer) for layer in nx.topological_generations(acyclic)]
    for _ in range(sweeps):
        for i in range(1, len(layers)):
            _order_by(layers[i], layers[i - 1], graph.predecessors)
        for i in range(len(layers) - 2, -1, -1):
            _order_by(layers[i], layers[i + 1], graph.successors)
    return layers


def _order_by(layer: list[str], other: list[str], neighbours) -> None:
    """Sort `layer` in place by the mean place of each rule's neighbours in `other`; a rule
    with none there keeps its place."""
    rows = {name: row for row, name in enumerate(other)}
    scale = len(other) / max(len(layer), 1)

    def key(item):
        row, name = item
        found = [rows[n] for n in neighbours(name) if n in rows]
        return sum(found) / len(found) if found else row * scale

    layer[:] = [name for _, name in sorted(enumerate(layer), key=key)]


def positions(layers: list[list[str]]) -> dict[str, tuple[float, float]]:
    """x: the place in its row, each row centred on the widest; y: the generation, downwards."""
    width = max(len(layer) for layer in layers)
    return {
        name: (x + (width - len(layer)) / 2, -float(y))
        for y, layer in enumerate(layers)
        for x, name in enumerate(layer)
    }


def draw(graph: nx.DiGraph, out: Path) -> None:
    """Write the rule graph as a PNG: rules as labelled boxes, top to bottom. A rule's edge to
    itself is left out: it reads as one rule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = generations(graph)
    pos = positions(layers)
    width = max(len(layer) for layer in layers)
    fig, ax = plt.subplots(figsize=(2.3 * width, 0.75 * len(layers) + 0.5))
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=[(a, b) for a, b in graph.edges if a != b],
        ax=ax,
        edge_color="#9a9a9a",
        arrowsize=9,
        node_size=500,
        width=0.7,
        connectionstyle="arc3,rad=0.06",
    )
    box = dict(boxstyle="round,pad=0.3", facecolor="#e8f0fa", edgecolor="#4a78b0")
    for name, (x, y) in pos.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=10, bbox=box)
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-len(layers) + 0.6, 0.4)
    ax.axis("off")
    fig.tight_layout(pad=0.2)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    graph = parse(sys.stdin.read())
    draw(graph, args.out)
    print(
        f"{args.out}: {graph.number_of_nodes()} rules, {graph.number_of_edges()} edges"
    )


if __name__ == "__main__":
    main()
