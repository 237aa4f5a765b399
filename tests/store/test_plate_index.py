"""The (block, plate) index: reads spread over many blocks are all found, cheaply.

Blocks are 65,536 rowids; the tests jump rowids (a placeholder row at a
high id, then deleted) so a few reads land in far-apart blocks without
writing hundreds of thousands of rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from rtcc_desktop.analysis import plates as P
from rtcc_desktop.store import Store, open_store
from rtcc_desktop.store.connection import connect
from rtcc_desktop.store.plate_index import BLOCK_BITS, PLATE_INDEX, blocks_json
from rtcc_desktop.store.schema import migrate

Rec = Callable[..., dict[str, Any]]
BLOCK = 1 << BLOCK_BITS


def _upsert_in_block(store: Store, block: int, records: list[dict[str, Any]]) -> None:
    """Upsert ``records`` with rowids from the start of ``block`` (a placeholder row pushes them there)."""
    if block:
        with store.writing() as conn:
            conn.execute(
                "INSERT INTO plate_reads (id, source, source_id, time, plate) "
                "VALUES (?, 'filler', 'x', '2000-01-01T00:00:00Z', 'FILLER')",
                (block * BLOCK - 1,),
            )
    store.upsert("alpr", records)
    with store.writing() as conn:
        conn.execute("DELETE FROM plate_reads WHERE source = 'filler'")


def _read(rec: Rec, i: int, plate: str, day: int, state: str = "IL") -> dict[str, Any]:
    return rec("alpr", f"r{i}", plate=plate, state=state, time=f"2024-05-{day:02d}T10:00:00Z", lat=41.88, lon=-87.63)


@pytest.fixture
def spread(store: Store, rec: Rec) -> Store:
    """ABC1234 read once in each of blocks 0, 3 and 7; others in between."""
    store.upsert("alpr", [_read(rec, 1, "ABC1234", 1), _read(rec, 2, "XYZ9", 1)])
    _upsert_in_block(store, 3, [_read(rec, 3, "ABC1234", 2, state="WI"), _read(rec, 4, "ABD1000", 2)])
    _upsert_in_block(store, 7, [_read(rec, 5, "ABC1234", 3), _read(rec, 6, "QABC12", 3)])
    return store


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["source_id"] for r in rows]


def test_reads_in_every_block_are_found_by_each_kind_of_search(spread: Store) -> None:
    with spread.reading() as conn:
        blocks = conn.execute("SELECT DISTINCT id >> ? FROM plate_reads ORDER BY 1", (BLOCK_BITS,)).fetchall()
    assert [b[0] for b in blocks] == [0, 3, 7]

    assert _ids(spread.plates("ABC1234")) == ["r5", "r3", "r1"]  # exact, newest first
    assert _ids(spread.plates("ABC1234", state="WI")) == ["r3"]
    assert _ids(spread.plates("AB*")) == ["r5", "r3", "r1", "r4"]  # grouped by plate
    assert _ids(spread.plates("*BC12*")) == ["r5", "r3", "r1", "r6"]  # leading wildcard
    assert _ids(spread.plates("AB*", limit=2, offset=2)) == ["r1", "r4"]
    assert _ids(P.similar_plates(spread, "A8C1234")) == ["r5", "r3", "r1"]
    assert _ids(P.similar_plates(spread, "A8C1234", state="WI")) == ["r3"]
    assert _ids(P.similar_plates(spread, "A8C1234", limit=1, offset=1)) == ["r3"]


def test_purge_empties_old_blocks_and_forgets_only_plates_no_read_holds(spread: Store) -> None:
    assert spread.purge_older_than("alpr", "2024-05-02T00:00:00Z") == 2  # r1, r2 (block 0)
    with spread.reading() as conn:
        assert blocks_json(conn) == "[3, 4, 5, 6, 7]"
        names = [r[0] for r in conn.execute("SELECT plate FROM plate_names ORDER BY plate")]
    assert names == ["ABC1234", "ABD1000", "QABC12"]  # XYZ9 had only the purged read
    assert _ids(spread.plates("ABC1234")) == ["r5", "r3"]
    assert spread.plates("XYZ9") == []


def test_an_empty_store_searches_without_error(store: Store) -> None:
    assert store.plates("ABC*") == []
    assert P.similar_plates(store, "ABC1234", state="IL") == []
    with store.reading() as conn:
        assert blocks_json(conn) == "[]"


@pytest.fixture
def many(tmp_path: Path, rec: Rec) -> Iterator[Store]:
    """20,000 reads over 4 blocks, plates sharing first letters."""
    s = open_store(tmp_path / "many.sqlite")
    rng = random.Random(7)
    for block in range(4):
        _upsert_in_block(
            s,
            block,
            [
                _read(rec, block * 10_000 + i, "W" + "".join(rng.choice("ABCEFHJKMNPRTUVWXY0123456789") for _ in range(6)), 1)
                for i in range(5_000)
            ],
        )
    s.upsert("alpr", [_read(rec, 99_999, "WGLO790", 2, state="WI")])
    yield s
    s.close()


def _steps(store: Store, run: Callable[[], Any]) -> int:
    """SQLite VM work of ``run`` in thousands of instructions (a full walk of the reads is ~140)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 1000)
    try:
        run()
    finally:
        store.db.conn.set_progress_handler(None, 0)
    return steps


@pytest.mark.parametrize(
    "search",
    [
        lambda s: s.plates("WGLO790"),
        lambda s: s.plates("WGLO790", state="WI"),
        lambda s: s.plates("WGLO7*"),
        lambda s: P.similar_plates(s, "W6L0790"),
        lambda s: P.similar_plates(s, "W6L0790", state="WI"),
    ],
    ids=["exact", "exact+state", "prefix", "similar", "similar+state"],
)
def test_a_plate_search_seeks_its_plate_in_each_block_and_reads_nothing_else(many: Store, search: Any) -> None:
    rows: list[Any] = []
    assert _steps(many, lambda: rows.extend(search(many))) < 10
    assert [r["plate"] for r in rows] == ["WGLO790"]


def test_a_file_with_the_old_plate_index_is_migrated(tmp_path: Path, rec: Rec) -> None:
    path = tmp_path / "v6.sqlite"
    db: Database = connect(path)
    migrate(db, target=6)  # the release before: one (plate) index
    db.conn.execute(
        "INSERT INTO plate_reads (source, source_id, time, plate) VALUES ('alpr', 'a1', '2024-05-01T10:00:00Z', 'ABC1234')"
    )
    db.conn.execute("INSERT INTO plate_names (plate) VALUES ('ABC1234')")
    db.conn.commit()
    db.close()

    with open_store(path) as s:
        indexes = {r[0] for r in s.db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'plate_reads' AND type = 'index'")}
        assert PLATE_INDEX in indexes and "plate_reads_plate" not in indexes
        assert _ids(s.plates("ABC*")) == ["a1"]
        s.upsert("alpr", [_read(rec, 2, "ABC1234", 2)])
        assert _ids(s.plates("ABC1234")) == ["r2", "a1"]
