"""Source feeds, no Qt: the HTTP session, payload adapters and the sync loop.

Data flows feed → :func:`rtcc_desktop.feeds.adapters.parse_payload` →
validated records → ``store.upsert`` (rows and cursor in one transaction).
Importing this package is cheap: submodules are imported where used.
"""
