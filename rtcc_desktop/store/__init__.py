"""The SQLite cache: open/migrate, upserts, bounded queries, audit log, retention (no Qt)."""

from rtcc_desktop.store.errors import SchemaTooNewError, StoreError
from rtcc_desktop.store.store import Store, open_store
from rtcc_desktop.store.upserts import UpsertResult

__all__ = ["Store", "open_store", "UpsertResult", "StoreError", "SchemaTooNewError"]
