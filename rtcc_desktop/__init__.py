"""RTCC Desktop: an open analyst workstation for Real-Time Crime Centers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rtcc-desktop")
except PackageNotFoundError:  # running from a source tree without install (e.g. a frozen build)
    __version__ = "0.1.0"
