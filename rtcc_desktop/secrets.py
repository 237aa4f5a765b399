"""Feed credentials: fetched from the environment or the OS keyring, never logged.

The settings file only says *where* a token lives. Anything that may end up in
a log line or an error message (URLs, headers) goes through :func:`mask_url`
or :func:`mask_headers` first.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Final, Mapping
from urllib.parse import unquote_plus, urlsplit, urlunsplit

if TYPE_CHECKING:
    from rtcc_desktop.config import FeedConfig

MASK: Final = "***"

#: Setting names that would hold a literal secret (refused in the config file).
SECRET_KEY_NAMES: Final[frozenset[str]] = frozenset(
    {"token", "app_token", "api_key", "apikey", "password", "passwd", "secret", "access_token", "client_secret"}
)

#: Query parameters that carry credentials (masked in logs, refused in config URLs).
_SECRET_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "$$app_token",
        "app_token",
        "apptoken",
        "token",
        "access_token",
        "api_key",
        "apikey",
        "key",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "auth",
    }
)
_SECRET_HEADER_RE = re.compile(r"(auth|token|secret|passw|api[-_]?key|cookie|session)", re.IGNORECASE)


class SecretError(RuntimeError):
    """A feed's token could not be found; the message says where we looked and what to do."""


def is_secret_param(name: str) -> bool:
    """True for query parameters that carry credentials (``$$app_token``, ``api_key``...)."""
    return name.lower() in _SECRET_PARAMS or name.lower().endswith(("_token", "_key", "_secret"))


def is_secret_header(name: str) -> bool:
    """True for headers that carry credentials (Authorization, X-App-Token, Cookie...)."""
    return bool(_SECRET_HEADER_RE.search(name))


def mask_token(token: str | None) -> str:
    """A token as it may appear in a log: never any of its characters."""
    return "(none)" if not token else MASK


def mask_url(url: str) -> str:
    """``url`` with the userinfo password and credential query parameters hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _pw = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if sep else f"{user}@{hostport}"
    query = "&".join(_mask_pair(p) for p in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_pair(pair: str) -> str:
    key, sep, _value = pair.partition("=")
    return f"{key}={MASK}" if sep and is_secret_param(unquote_plus(key)) else pair


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` safe to log."""
    return {k: (MASK if is_secret_header(k) else v) for k, v in headers.items()}


def _split_keyring(spec: str, feed_name: str) -> tuple[str, str]:
    service, sep, user = spec.partition(":")
    return (service, user) if sep and user else (service.rstrip(":"), feed_name)


def resolve_token(feed: "FeedConfig", environ: Mapping[str, str] | None = None) -> str | None:
    """The feed's token, or None when the feed uses none.

    ``token_env`` wins when both are set (lets CI or a service account
    override the keyring). Raises :class:`SecretError` when the token was
    configured but cannot be found; the message never contains the token.
    """
    env = os.environ if environ is None else environ
    if feed.token_env:
        value = env.get(feed.token_env)
        if value and value.strip():
            return value.strip()
        if not feed.token_keyring:
            raise SecretError(
                f'feed "{feed.name}": token_env names the environment variable {feed.token_env}, '
                "but it is not set (or empty) in this session; set it before starting, or use token_keyring"
            )
    if feed.token_keyring:
        service, user = _split_keyring(feed.token_keyring, feed.name)
        return _from_keyring(feed.name, service, user)
    return None


def _from_keyring(feed_name: str, service: str, user: str) -> str:
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        raise SecretError(f'feed "{feed_name}": the keyring package is not installed; use token_env instead') from None
    try:
        value = keyring.get_password(service, user)
    except NoKeyringError:
        raise SecretError(
            f'feed "{feed_name}": no OS keyring is available on this machine (no backend for the '
            f"keyring package), so token_keyring = \"{service}:{user}\" cannot be read; "
            "use token_env with an environment variable instead"
        ) from None
    except KeyringError as exc:
        raise SecretError(
            f'feed "{feed_name}": the OS keyring refused to give service "{service}", user "{user}": '
            f"{type(exc).__name__}"
        ) from None
    if not value:
        raise SecretError(
            f'feed "{feed_name}": no secret stored in the OS keyring for service "{service}", user "{user}"; '
            f"store it with: keyring set {service} {user}"
        )
    return value


__all__ = [
    "SECRET_KEY_NAMES",
    "SecretError",
    "is_secret_header",
    "is_secret_param",
    "mask_headers",
    "mask_token",
    "mask_url",
    "resolve_token",
]
