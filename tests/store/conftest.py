"""Fixtures for the store tests: real SQLite files in tmp_path, record builders."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.model.records import TABLES, fields_for
from rtcc_desktop.model.validate import FeedContext, RejectError, normalise
from rtcc_desktop.store import Store, open_store

DC_CSV = Path("gunshot_dc_shotspotter_foia") / "dc_shotspotter_2006_2013.csv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.sqlite")
    yield s
    s.close()


def _rec(kind: str, source_id: str, **fields: Any) -> dict[str, Any]:
    """A record in normalised form: every field of the kind, blanks as None."""
    out: dict[str, Any] = {name: None for name in fields_for(kind)}
    out.update(source_id=source_id, source=fields.pop("source", f"test-{kind}"), agency="TEST PD")
    out.update(fields)
    return out


@pytest.fixture(scope="session")
def rec() -> Callable[..., dict[str, Any]]:
    """``rec(kind, source_id, **fields)`` builds a record in normalised form."""
    return _rec


def _check_indexes(store: Store) -> None:
    """Fail unless R*Tree and FTS hold exactly the stored rows (what queries rely on)."""
    db = store.db
    db.execute("INSERT INTO incidents_fts(incidents_fts, rank) VALUES('integrity-check', 1)")
    for table in TABLES.values():
        assert db.execute(f"SELECT rtreecheck('{table}_rtree')").fetchone()[0] == "ok"
        located = {r[0] for r in db.execute(f"SELECT id FROM {table} WHERE lat IS NOT NULL AND lon IS NOT NULL")}
        indexed = {r[0] for r in db.execute(f"SELECT id FROM {table}_rtree")}
        assert located == indexed, f"{table}: R*Tree out of sync"


@pytest.fixture(scope="session")
def check_indexes() -> Callable[[Store], None]:
    """``check_indexes(store)`` asserts the search indexes match the tables."""
    return _check_indexes


@pytest.fixture(scope="session")
def dc_shotspotter(realdata: Path) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, str]]]]:
    """The DC ShotSpotter FOIA CSV through the real validation: (records, rejects)."""
    ctx = FeedContext(source="dc-shotspotter", kind="gunshot", agency="DC MPD", timezone="America/New_York")
    records, rejects = [], []
    with (realdata / DC_CSV).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw = {
                "source_id": row["Incident ID"],
                "time": row["Date Time"],
                "type": row["Type"],
                "lat": row["Latitude-100meter"],
                "lon": row["Longitude-100meter"],
                "address": row["Coverage Area"],
            }
            try:
                records.append(normalise(raw, ctx))
            except RejectError as e:
                rejects.append((str(e), row))
    return records, rejects
