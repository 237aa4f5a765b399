"""The one HTTP session every feed shares, and local file reads that look the same.

Retries live in urllib3 (connect/read errors, 429 and 5xx, GET only,
exponential backoff with jitter, ``Retry-After`` honoured) so every feed
behaves alike. The wait between retries watches a stop Event, so closing the
app never waits out a server's ``Retry-After``.
"""

from __future__ import annotations

import gzip
import logging
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from rtcc_desktop import __version__
from rtcc_desktop.secrets import mask_url

log = logging.getLogger(__name__)

USER_AGENT = f"rtcc-desktop/{__version__}"
#: (connect, read) seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_GZIP_MAGIC = b"\x1f\x8b"


class FetchError(Exception):
    """A feed could not be read; the message is what the user sees (no secrets)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Cancelled(Exception):
    """The app is stopping: a retry wait was cut short."""


class StoppableRetry(Retry):
    """urllib3 Retry whose waits end early (raising :class:`Cancelled`) when ``stop_event`` is set."""

    stop_event: threading.Event | None = None

    def new(self, **kw: Any) -> "StoppableRetry":
        r = super().new(**kw)
        r.stop_event = self.stop_event
        return r

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.stop_event is None:
            threading.Event().wait(seconds)
        elif self.stop_event.wait(seconds):
            raise Cancelled("stopped while waiting to retry")

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            log.info("server asked to retry after %.1f s", retry_after)
            self._wait(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        self._wait(self.get_backoff_time())


@dataclass(frozen=True)
class Fetched:
    """One response body with the validators for the next conditional GET."""

    content: bytes
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    retries: int = 0


def make_session(
    *,
    retries: int = 4,
    backoff_factor: float = 0.5,
    backoff_max: float = 30.0,
    backoff_jitter: float = 0.5,
    retry_after_max: int = 120,
    stop_event: threading.Event | None = None,
    pool_maxsize: int = 16,
) -> requests.Session:
    """A Session shared by every feed: retry policy, pool and User-Agent.

    ``stop_event`` cuts retry waits short when set (see :class:`StoppableRetry`).
    """
    retry = StoppableRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=5,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        backoff_jitter=backoff_jitter,
        respect_retry_after_header=True,
        retry_after_max=retry_after_max,
        raise_on_status=False,
    )
    retry.stop_event = stop_event
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_maxsize, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


def _maybe_gunzip(content: bytes, where: str) -> bytes:
    if content[:2] != _GZIP_MAGIC:
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchError(f"{where}: gzip data is damaged or truncated ({exc})") from None


def read_local(path: str | Path, *, etag: str | None = None) -> Fetched:
    """Read a feed file (``.gz`` ok); unchanged size and mtime give ``not_modified``."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FetchError(f"file {p} does not exist") from None
    except OSError as exc:
        raise FetchError(f"file {p}: {exc.strerror or exc}") from None
    tag = f'file:{st.st_mtime_ns}-{st.st_size}'
    if etag == tag:
        return Fetched(b"", status=304, etag=tag, not_modified=True)
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise FetchError(f"file {p}: {exc.strerror or exc}") from None
    return Fetched(_maybe_gunzip(content, f"file {p}"), etag=tag)


def _describe(exc: BaseException, url: str, timeout: tuple[float, float]) -> str:
    """A short, secret-free sentence for a requests/urllib3 failure."""
    reason: BaseException | None = exc
    # requests wraps MaxRetryError, which wraps the last real reason
    for _ in range(4):
        inner = reason.args[0] if reason is not None and reason.args else None
        if isinstance(reason, MaxRetryError):
            inner = reason.reason
        if isinstance(inner, BaseException):
            reason = inner
        else:
            break
    where = mask_url(url)
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first
    if isinstance(reason, NewConnectionError) and "timed out" not in str(reason):
        return f"cannot connect to {where}: connection refused or host unreachable"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, ConnectTimeoutError):
        return f"timed out connecting to {where} (after {timeout[0]:g} s)"
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        return f"timed out waiting for {where} (no data for {timeout[1]:g} s)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or isinstance(reason, ProtocolError):
        return f"connection to {where} broke off mid-response"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS/certificate error talking to {where}"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"too many redirects from {where}"
    return f"request to {where} failed: {type(exc).__name__}"


def _error_detail(resp: requests.Response) -> str:
    """The server's own error message (Socrata sends JSON with ``message``), shortened."""
    try:
        body = resp.json()
        if isinstance(body, dict):
            msg = body.get("message") or body.get("error") or body.get("code")
            if msg and not isinstance(msg, bool):
                return f": {str(msg)[:200]}"
    except ValueError:
        pass
    text = (resp.text or "").strip().replace("\n", " ")
    return f": {text[:200]}" if text and len(text) < 400 and "<" not in text[:1] else ""


def fetch(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    token: str | None = None,
    token_header: str = "X-App-Token",
) -> Fetched:
    """GET ``url`` (or read a local file) with retries and a conditional GET.

    A 304 gives ``not_modified=True`` and no body. Every failure is a
    :class:`FetchError` with a message fit for the feed-health table.
    """
    if not url.lower().startswith(("http://", "https://")):
        path = url[7:] if url.lower().startswith("file://") else url
        return read_local(path, etag=etag)
    hdrs: dict[str, str] = dict(headers or {})
    if token:
        hdrs[token_header] = token
    if etag:
        hdrs["If-None-Match"] = etag
    if last_modified:
        hdrs["If-Modified-Since"] = last_modified
    try:
        resp = session.get(url, params=params, headers=hdrs, timeout=timeout)
        content = resp.content  # body read errors surface here
    except Cancelled:
        raise
    except requests.RequestException as exc:
        raise FetchError(_describe(exc, url, timeout)) from None
    retries = len(getattr(getattr(resp.raw, "retries", None), "history", ()) or ())
    if resp.status_code == 304:
        return Fetched(b"", status=304, etag=etag, last_modified=last_modified, not_modified=True, retries=retries)
    if resp.status_code >= 400:
        after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
        raise FetchError(
            f"HTTP {resp.status_code} {resp.reason or ''}".rstrip()
            + f" from {mask_url(url)}{after}{_error_detail(resp)}",
            status=resp.status_code,
        )
    return Fetched(
        _maybe_gunzip(content, mask_url(url)),
        status=resp.status_code,
        etag=resp.headers.get("ETag"),
        last_modified=resp.headers.get("Last-Modified"),
        retries=retries,
    )


__all__ = [
    "Cancelled",
    "DEFAULT_TIMEOUT",
    "FetchError",
    "Fetched",
    "StoppableRetry",
    "USER_AGENT",
    "fetch",
    "make_session",
    "read_local",
]
