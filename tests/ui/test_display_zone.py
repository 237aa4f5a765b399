"""Times in the centre's zone, whatever zone the machine runs in."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from rtcc_desktop.ui.display_zone import local_text, local_time, set_display_zone, utc_offset_s


def test_text_follows_the_display_zone_through_daylight_saving():
    set_display_zone(ZoneInfo("America/Chicago"))
    assert local_text("2024-07-01T17:00:00Z") == "2024-07-01 12:00:00"  # CDT
    assert local_text("2024-01-01T17:00:00Z", "%H:%M %Z") == "11:00 CST"
    assert local_text(datetime(2024, 1, 1, 17, tzinfo=timezone.utc).timestamp()) == "2024-01-01 11:00:00"
    assert local_text(None) == "" and local_text("") == ""
    assert utc_offset_s(datetime(2024, 7, 1, tzinfo=timezone.utc)) == -5 * 3600
    set_display_zone(None)  # back to the machine's zone
    assert local_time("2024-01-01T17:00:00Z") == datetime(2024, 1, 1, 17, tzinfo=timezone.utc).astimezone()
