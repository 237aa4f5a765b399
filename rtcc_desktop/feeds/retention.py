"""Retention: records are kept only as long as the centre's policy allows.

The policy is the config's ``[retention]`` table (days per kind). Each purge is
written to the audit log, so the community can see that it happens.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from rtcc_desktop.model.timeutil import to_iso, utc_now

log = logging.getLogger(__name__)

#: How often a running sync engine applies the policy.
RETENTION_EVERY_S = 3600.0


def apply_retention(store: Any, retention: dict[str, int], *, now: datetime | None = None, actor: str = "retention") -> dict[str, int]:
    """Delete records older than each kind's retention; return how many per kind.

    Kinds without a setting are kept. Cameras have no time and are never purged.
    """
    now = now or utc_now()
    purged: dict[str, int] = {}
    for kind, days in sorted(retention.items()):
        cutoff = to_iso(now - timedelta(days=days))
        n = store.purge_older_than(kind, cutoff)
        purged[kind] = n
        store.audit(actor, "retention purge", {"kind": kind, "days": days, "before": cutoff}, "retention policy", n)
        if n:
            log.info("retention: removed %d %s records older than %d days", n, kind, days)
    return purged
