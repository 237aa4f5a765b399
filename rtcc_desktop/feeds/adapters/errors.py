"""The one error an adapter raises for a payload it cannot read at all."""

from __future__ import annotations


class AdapterError(ValueError):
    """The whole payload is unusable; ``str(err)`` is shown as the feed's error.

    Raised for truncated or non-JSON text, the wrong container shape, a server
    error message in place of data, or a mapped column the data does not have.
    A single bad row is never an AdapterError: it becomes a reject.
    """
