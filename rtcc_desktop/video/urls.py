"""Camera URLs: hide credentials wherever a URL is shown, fetch them from keyring.

Camera URLs often carry ``user:password@``. Nothing we log, show in a tile or
put in an error message may contain them, so every URL and every native error
text passes through :func:`mask_url` / :func:`mask_text` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote, urlsplit, urlunsplit

log = logging.getLogger(__name__)

#: keyring service names are ``rtcc-desktop:<host>``; the credential's username
#: and password go into the URL's userinfo.
KEYRING_SERVICE_PREFIX = "rtcc-desktop:"

CredentialLookup = Callable[[str], "tuple[str, str] | None"]

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s]+)@")


def mask_text(text: str) -> str:
    """Replace every ``scheme://user:pass@`` in free text with ``scheme://***@``."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


def mask_url(url: str | int | None) -> str:
    """A URL safe to show: userinfo replaced by ``***``; device indexes as ``device:N``."""
    if url is None:
        return ""
    if isinstance(url, int):
        return f"device:{url}"
    return mask_text(str(url))


def has_userinfo(url: str) -> bool:
    """True when the URL already carries ``user@`` or ``user:pass@``."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def keyring_lookup(host: str) -> tuple[str, str] | None:
    """The (username, password) stored in the OS keyring for ``host``, or None.

    Any keyring failure (no backend, locked store, D-Bus down) means "no
    credential": a camera without one still gets a chance to connect.
    """
    try:
        import keyring

        cred = keyring.get_credential(KEYRING_SERVICE_PREFIX + host, None)
    except Exception as exc:  # noqa: BLE001 - every backend has its own errors
        log.debug("keyring lookup for %s failed: %s", host, type(exc).__name__)
        return None
    if cred is None or not cred.username:
        return None
    return cred.username, cred.password or ""


def with_credentials(url: str, lookup: CredentialLookup | None = keyring_lookup) -> str:
    """``url`` with userinfo from ``lookup(host)`` when it has none of its own.

    The result holds a secret: use it only to open the source, never to show.
    """
    if lookup is None or not isinstance(url, str) or "://" not in url or has_userinfo(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.hostname:
        return url
    found = lookup(parts.hostname)
    if not found:
        return url
    user, password = found
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))
