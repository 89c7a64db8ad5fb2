"""Connected components by large-star / small-star rounds, one bucket of nodes at a time.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014). Edges are kept
as (a, b) with a > b, i.e. grouped by their larger end. Large-star links every larger
neighbour of a node to the smallest node of its neighbourhood; small-star links a node and
its smaller neighbours to the smallest of them. Alternating the two until the edge set stops
changing leaves one star per component, centred on its smallest node: (member, root).
Each step sees only the edges of the nodes in its bucket, never the whole graph.
"""
from __future__ import annotations

import numpy as np

from dedup.engine.distributed.buckets import distinct_pairs, runs

_EMPTY = np.empty(0, dtype=np.int64)


def both_ways(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each edge in both directions: the undirected neighbourhoods large-star needs."""
    a, b = np.asarray(batch["a"], dtype=np.int64), np.asarray(batch["b"], dtype=np.int64)
    return {"a": np.concatenate([a, b]), "b": np.concatenate([b, a])}


def _neighbourhoods(group: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct edges of the bucket sorted by node, each node's run, and the smallest of node and neighbours."""
    a, b = distinct_pairs(group["a"], group["b"])
    keep = a != b
    a, b = a[keep], b[keep]
    starts, ends = runs(a)
    if len(a) == 0:
        return a, b, _EMPTY, _EMPTY
    smallest = np.minimum(np.minimum.reduceat(b, starts), a[starts])
    return a, b, np.repeat(smallest, ends - starts), starts


def large_star(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(v, m(u)) for every neighbour v > u of each node u, m(u) the smallest of u and its neighbours."""
    a, b, smallest, _ = _neighbourhoods(group)
    larger = b > a
    return {"a": b[larger], "b": smallest[larger]}


def small_star(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(v, m) for u and each neighbour v < u, v ≠ m, m the smallest of them (edges arrive as (u, v < u))."""
    a, b, smallest, starts = _neighbourhoods(group)
    nodes, node_smallest = a[starts], smallest[starts]
    first = np.concatenate([b, nodes])
    second = np.concatenate([smallest, node_smallest])
    keep = first != second
    return {"a": first[keep], "b": second[keep]}


def distinct_edges(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    a, b = distinct_pairs(group["a"], group["b"])
    return {"a": a, "b": b}


def edge_digest(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An order-free digest of a block of distinct edges: (count, sum of mixed pair hashes mod 2**64)."""
    a = np.asarray(batch["a"], dtype=np.int64).view(np.uint64)
    b = np.asarray(batch["b"], dtype=np.int64).view(np.uint64)
    mixed = (a * np.uint64(0x9E3779B97F4A7C15)) ^ (b * np.uint64(0xC2B2AE3D27D4EB4F) + np.uint64(0x165667B19E3779F9))
    mixed ^= mixed >> np.uint64(31)
    total = np.sum(mixed, dtype=np.uint64) if len(mixed) else np.uint64(0)
    return {"count": np.array([len(a)], dtype=np.int64), "digest": np.array([total], dtype=np.uint64).view(np.int64)}


def star_labels(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(position, component) rows from converged star edges (member, root); roots label themselves (repeated)."""
    a, b = np.asarray(batch["a"], dtype=np.int64), np.asarray(batch["b"], dtype=np.int64)
    return {"pos": np.concatenate([a, b]), "comp": np.concatenate([b, b])}
