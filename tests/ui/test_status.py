"""The feed-health table and badges follow each refresh, changing only what changed."""

from __future__ import annotations

from datetime import timezone

from rtcc_desktop.ui.status import FeedBadges, FeedHealthPanel


def _row(name: str, status: str, lag: float | None, error: str | None = None) -> dict:
    return {"name": name, "kind": "cad", "status": status, "lag_s": lag, "rows_in": 1200, "rows_rejected": 3,
            "last_success": "2026-11-28T12:00:00Z", "last_error": error, "reason": None}


def test_health_table_updates_cells_in_place_and_drops_gone_feeds(qtbot):
    panel = FeedHealthPanel(tz=timezone.utc)
    qtbot.addWidget(panel)
    panel.set_health([_row("cad-a", "green", 4), _row("cad-b", "green", 9)])
    first_item = panel.table.item(0, 0)
    assert panel.table.rowCount() == 2 and panel.table.item(1, 2).text() == "GREEN"
    assert panel.table.item(0, 4).text() == "1,200"

    panel.set_health([_row("cad-a", "green", 5), _row("cad-b", "red", 300, "HTTP 500 from server")])
    assert panel.table.item(0, 0) is first_item  # same item, not rebuilt
    assert panel.table.item(1, 2).text() == "RED"
    assert panel.table.item(1, 7).text() == "HTTP 500 from server"

    panel.set_health([_row("cad-a", "amber", 5)])
    assert panel.table.rowCount() == 1 and panel.table.item(0, 2).text() == "AMBER"

    panel.set_health([])
    assert panel.table.isHidden() and not panel.empty.isHidden()


def test_badges_escape_names_and_follow_status(qtbot):
    badges = FeedBadges()
    qtbot.addWidget(badges)
    badges.set_health([_row("<b>x</b>", "green", 3)])
    assert badges.status_of("<b>x</b>") == "green"
    label = badges._badges["<b>x</b>"]
    assert "&lt;b&gt;x&lt;/b&gt;" in label.text()
    badges.set_health([_row("<b>x</b>", "red", 3)])
    assert badges.status_of("<b>x</b>") == "red"
