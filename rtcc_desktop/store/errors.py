"""Errors the store raises on purpose, so callers can tell them from bugs."""

from __future__ import annotations


class StoreError(Exception):
    """The cache file cannot be used as asked; the message says why and what to do."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer RTCC Desktop than this one.

    Opening it anyway could corrupt data the newer version relies on, so the
    store refuses instead of guessing.
    """
