"""The states a camera stream moves through, as the grid shows them."""

from __future__ import annotations

from enum import Enum


class StreamState(str, Enum):
    """Where a stream stands; the value is the text tiles and logs show."""

    IDLE = "idle"  # created, not started
    CONNECTING = "connecting"  # first attempt to open the source
    LIVE = "live"  # frames arriving
    STALLED = "stalled"  # open, but no frame for ``stall_after_s``
    RECONNECTING = "reconnecting"  # lost or refused: waiting out a backoff, then retrying
    OFFLINE = "offline"  # several attempts in a row failed; still retried, slowly
    REQUEST_FOOTAGE = "request_footage"  # private camera without live access: never connects
    PAUSED = "paused"  # tile hidden: capture released until resumed
    ENDED = "ended"  # a play-once file reached its end
    STOPPED = "stopped"  # shut down for good

    def __str__(self) -> str:
        return self.value
