"""Fixtures the feed tests share: a loopback server, a retrying session, a cache file."""

from __future__ import annotations

import pytest
from loopback_server import LoopbackServer

from rtcc_desktop.feeds.http import make_session
from rtcc_desktop.store import open_store


@pytest.fixture
def server():
    s = LoopbackServer().start()
    yield s
    s.stop()


@pytest.fixture
def session():
    """Three quick retries: enough to see retry behaviour without slowing the tests."""
    s = make_session(retries=3, backoff_factor=0.01, backoff_jitter=0.01)
    yield s
    s.close()


@pytest.fixture
def store(tmp_path):
    st = open_store(tmp_path / "cache.sqlite")
    yield st
    st.close()
