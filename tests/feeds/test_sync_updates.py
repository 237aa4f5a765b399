"""The change notice follows edits: a feed re-sending a row with changes wakes the UI; an unchanged re-read does not."""

from __future__ import annotations

import json

from loopback_server import Reply
from test_sync import feed_toml, row

from rtcc_desktop.config import parse_config
from rtcc_desktop.feeds.sync import sync_once


def _serve(server, rows) -> None:
    server.route("/calls.json", Reply(200, json.dumps(rows).encode()))


def test_on_change_fires_for_an_update_only_batch_and_not_for_an_unchanged_page(server, session, store):
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json")).feeds[0]
    heard: list[tuple[str, int]] = []

    def on_change(kind: str, max_rowid: int) -> None:
        heard.append((kind, max_rowid))

    rows = [row(1), row(2), row(3)]
    _serve(server, rows)
    rep = sync_once(store, feed, session, on_change=on_change)
    assert rep.ok and rep.inserted == 3 and heard == [("cad", 3)]
    seq0 = store.max_change_seq()

    # the same page again: every row matches a stored one, nothing changed → no notice
    rep = sync_once(store, feed, session, on_change=on_change)
    assert rep.ok and rep.inserted == 0 and rep.updated == 3
    assert heard == [("cad", 3)]
    assert store.max_change_seq() == seq0

    # the feed edits one call: no insert, one real update → a notice (max_rowid unchanged)
    _serve(server, [row(1), row(2, call="SHOTS FIRED"), row(3)])
    rep = sync_once(store, feed, session, on_change=on_change)
    assert rep.ok and rep.inserted == 0 and rep.updated == 3
    assert heard == [("cad", 3), ("cad", 3)]
    edited = store.updates_since(seq0, ["cad"])
    assert [(r["source_id"], r["type"]) for r in edited] == [("I00002", "SHOTS FIRED")]
    assert store.max_change_seq() == edited[0]["change_seq"] > seq0

    # and re-reading the edited page once more is quiet again
    rep = sync_once(store, feed, session, on_change=on_change)
    assert rep.ok and len(heard) == 2


def test_store_wrappers_page_and_filter_by_kind(store):
    from rtcc_desktop.model.validate import FeedContext, normalise

    def rec(kind: str, sid: str, **raw):
        return normalise({"source_id": sid, "time": "2024-05-01T10:00:00Z", "lat": 33.6, "lon": -85.8, **raw},
                         FeedContext(source="t", kind=kind, agency="TPD"))

    assert store.max_change_seq() == 0 and store.updates_since(0) == []
    store.upsert("cad", [rec("cad", f"C{i}", priority="3") for i in range(5)])
    store.upsert("gunshot", [rec("gunshot", "G1", rounds=2)])
    store.upsert("cad", [rec("cad", f"C{i}", priority="1") for i in range(5)])
    store.upsert("gunshot", [rec("gunshot", "G1", rounds=5)])
    assert store.max_change_seq() == 6
    assert [r["kind"] for r in store.updates_since(0)] == ["cad"] * 5 + ["gunshot"]
    assert [r["kind"] for r in store.updates_since(0, "gunshot")] == ["gunshot"]
    first = store.updates_since(0, ["cad"], limit=2)
    assert [r["change_seq"] for r in first] == [1, 2] and all(r["priority"] == "1" for r in first)
    assert [r["change_seq"] for r in store.updates_since(2, None, limit=10)] == [3, 4, 5, 6]
