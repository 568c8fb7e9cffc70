"""The merge's memory of the ids it has taken: the same answers as a set, batch after batch."""

import numpy as np
import pyarrow as pa

from log_assets.lake.daymerge import SeenIds, _rows


def test_seen_ids_answer_as_a_set_does():
    rng = np.random.default_rng(5)
    pool = rng.integers(-(2**63), 2**63 - 1, size=3000, dtype=np.int64)  # including negative hashes
    seen, reference = SeenIds(), set()
    for size in [0, 1, 7, 500, 1000, 1000, 3, 2000, 1000, 999, 4000]:
        batch = rng.choice(pool, size=size)  # repeats within a batch and across batches
        new = seen.add(batch)
        want = np.zeros(size, bool)
        for i, h in enumerate(batch.tolist()):
            if h not in reference:
                reference.add(h)
                want[i] = True
        assert new.tolist() == want.tolist()
        assert len(seen) == len(reference)
    assert len(seen._runs) <= int(np.log2(len(reference))) + 1


def test_rows_between_duplicates_are_kept_in_order():
    table = pa.table({"n": list(range(30))})
    for keep in (
        np.ones(30, bool),
        np.zeros(30, bool),
        np.arange(30) >= 3,  # a repeated start
        np.isin(np.arange(30), [0, 1, 2, 10, 11, 29]),
        np.arange(30) % 2 == 0,  # scattered: more runs than are sliced
    ):
        assert _rows(table, keep).column("n").to_pylist() == np.flatnonzero(keep).tolist()
