"""The CAD endpoint speaks enough SODA for a real incremental sync."""

from __future__ import annotations

from simhelp import get, soda


def test_default_limit_offset_and_order(sim):
    everything = soda(sim, select=":*, *", limit=50000, order=":id")
    assert len(everything) > 200
    assert len(soda(sim)) == min(1000, len(everything))
    assert [r[":id"] for r in everything] == sorted(r[":id"] for r in everything)
    pages = []
    for offset in range(0, len(everything), 37):
        pages += soda(sim, select=":*, *", limit=37, offset=offset, order=":id")
    assert pages == everything
    assert soda(sim, limit=10, offset=len(everything)) == []


def test_order_by_updated_at_and_datetime_both_ways(sim):
    asc = soda(sim, select=":*, *", order=":updated_at", limit=50000)
    desc = soda(sim, select=":*, *", order=":updated_at DESC", limit=50000)
    assert [r[":updated_at"] for r in asc] == sorted(r[":updated_at"] for r in asc)
    assert [r[":updated_at"] for r in desc] == sorted((r[":updated_at"] for r in asc), reverse=True)
    by_time = soda(sim, order="datetime DESC, incident_number ASC", limit=50000)
    assert [r["datetime"] for r in by_time] == sorted((r["datetime"] for r in by_time), reverse=True)
    by_priority = soda(sim, order="priority", limit=50000)
    assert [int(r["priority"]) for r in by_priority] == sorted(int(r["priority"]) for r in by_priority)


def test_where_on_updated_at_and_datetime(sim):
    rows = soda(sim, select=":*, *", limit=50000)
    cut = sorted(r[":updated_at"] for r in rows)[len(rows) // 2]
    after = soda(sim, select=":*, *", where=f":updated_at > '{cut}'", limit=50000)
    assert {r[":id"] for r in after} == {r[":id"] for r in rows if r[":updated_at"] > cut}
    at_or_after = soda(sim, select=":*, *", where=f":updated_at >= '{cut}'", limit=50000)
    assert len(at_or_after) > len(after)
    # the cursor may be written without milliseconds or zone, as clients often store it
    short = cut.replace(".000Z", "")
    assert soda(sim, select=":*, *", where=f":updated_at > '{short}'", limit=50000) == after
    local_cut = sorted(r["datetime"] for r in rows)[len(rows) // 3]
    later = soda(sim, where=f"datetime > '{local_cut}' AND priority <= 2", limit=50000)
    assert later and all(r["datetime"] > local_cut and int(r["priority"]) <= 2 for r in later)
    between = soda(sim, where=f"datetime between '{local_cut}' and '{local_cut[:11]}23:59:59'", limit=50000)
    assert all(r["datetime"] >= local_cut for r in between)
    assert soda(sim, where="call_type = 'TRAFFIC STOP' OR call_type = 'BURGLARY'", limit=50000)
    filtered = get(sim, "/resource/cad.json", agency="ANNISTON PD", **{"$limit": 50000}).json()
    assert filtered and {r["agency"] for r in filtered} == {"ANNISTON PD"}


def test_count_select_list_and_text_search(sim):
    total = len(soda(sim, limit=50000))
    assert soda(sim, select="count(*)") == [{"count": str(total)}]
    two = soda(sim, select="incident_number, :updated_at", limit=3)
    assert [set(r) for r in two] == [{"incident_number", ":updated_at"}] * 3
    hits = soda(sim, q="traffic", limit=50000)
    assert hits and all("traffic" in " ".join(r.values()).lower() for r in hits)


def test_bad_queries_get_socrata_style_errors(sim):
    for params in ({"$where": "nonsense >"}, {"$order": "no_such_column"}, {"$limit": "ten"}, {"limit": "5"}, {"$select": "nope"}):
        r = get(sim, "/resource/cad.json", **params)
        assert r.status_code == 400, params
        body = r.json()
        assert body["error"] is True and body["message"]
    assert "Unrecognized arguments [limit]" in get(sim, "/resource/cad.json", limit="5").json()["message"]
    assert get(sim, "/resource/abcd-1234.json").status_code == 404


def _sync(sim, cursor: str | None, page: int, log: list[tuple[str, str]]) -> str | None:
    """One poll the way a feed client pages: fixed $where, ordered by :updated_at, by $offset."""
    offset, since = 0, cursor
    while True:
        params = {"select": ":*, *", "order": ":updated_at, :id", "limit": page, "offset": offset}
        if since:
            params["where"] = f":updated_at > '{since}'"
        rows = soda(sim, **params)
        log.extend((r[":id"], r[":updated_at"]) for r in rows)
        for r in rows:
            cursor = max(cursor or "", r[":updated_at"])
        if len(rows) < page:
            return cursor
        offset += page


def test_incremental_sync_by_updated_at_misses_nothing_and_repeats_nothing(sim):
    log: list[tuple[str, str]] = []
    cursor = _sync(sim, None, 50, log)
    for _ in range(12):  # an hour of polls, a new version of some calls each time
        sim.clock.advance(300)
        cursor = _sync(sim, cursor, 50, log)
    final = {r[":id"]: r[":updated_at"] for r in soda(sim, select=":*, *", limit=50000)}
    assert len(log) == len(set(log)), "a row version was delivered twice"
    latest: dict[str, str] = {}
    for row_id, updated in log:
        latest[row_id] = max(latest.get(row_id, ""), updated)
    assert latest == final, "a row or an update was missed"
    assert len(log) > len(final), "no call was updated during the hour"


def test_keyset_paging_on_updated_at_and_id_survives_time_moving_between_pages(sim):
    """Keyset paging (no $offset) sees every version once even when the clock moves mid-sync."""
    log: list[tuple[str, str]] = []
    at, row_id = "1970-01-01T00:00:00.000Z", ""
    for step in range(200):
        rows = soda(
            sim,
            select=":*, *",
            order=":updated_at, :id",
            limit=25,
            where=f":updated_at > '{at}' OR (:updated_at = '{at}' AND :id > '{row_id}')",
        )
        log.extend((r[":id"], r[":updated_at"]) for r in rows)
        if rows:
            at, row_id = rows[-1][":updated_at"], rows[-1][":id"]
        elif step >= 30:
            break  # caught up after the clock stopped
        if step < 30:
            sim.clock.advance(45)  # new calls and edits land between pages
    final = {r[":id"]: r[":updated_at"] for r in soda(sim, select=":*, *", limit=50000)}
    latest: dict[str, str] = {}
    for rid, updated in log:
        latest[rid] = max(latest.get(rid, ""), updated)
    assert len(log) == len(set(log))
    assert latest == final


def test_keyset_pages_from_the_shortcut_match_the_general_query(sim):
    """A syncing client's keyset query is answered by bisection; it must agree row for row with the general path."""
    import random

    from rtcc_desktop.sim import payloads

    every = soda(sim, select=":*, *", limit=50000, order=":updated_at, :id")
    rng = random.Random(4)
    now = sim.clock.now()
    rows, columns = payloads.cad_rows(sim.timeline, now, {})
    for row in [every[0], every[-1], *rng.sample(every, 8)]:
        at, row_id = row[":updated_at"], row[":id"]
        for where in (f":updated_at > '{at}' OR (:updated_at = '{at}' AND :id > '{row_id}')", f":updated_at >= '{at}'"):
            params = {"$select": ":*, *", "$order": ":updated_at, :id", "$limit": "25", "$where": where}
            fast = payloads._keyset_page(sim.timeline, now, params)
            slow = payloads.run_query(rows, params, columns)
            assert fast is not None and fast == slow, where
    # and over HTTP, a full walk by keyset returns every row once, in order
    walked, cursor = [], None
    while True:
        where = None if cursor is None else f":updated_at > '{cursor[0]}' OR (:updated_at = '{cursor[0]}' AND :id > '{cursor[1]}')"
        page = soda(sim, select=":*, *", order=":updated_at, :id", limit=97, **({"where": where} if where else {}))
        walked += page
        if len(page) < 97:
            break
        cursor = (page[-1][":updated_at"], page[-1][":id"])
    assert walked == every
    # anything else still takes the general path (and its errors)
    assert payloads._keyset_page(sim.timeline, now, {"$order": ":id"}) is None
    assert payloads._keyset_page(sim.timeline, now, {"$order": ":updated_at, :id", "$where": "priority = '1'"}) is None
