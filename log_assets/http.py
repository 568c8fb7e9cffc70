"""Transport rules both vendor clients share: credentials never cross a network in clear text."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from log_assets import __version__

# Both clients name themselves and their version to the vendors' servers.
USER_AGENT = f"log-assets/{__version__} (+https://github.com/log-assets)"


class InsecureUrlError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, variable: str, allow_insecure_http: bool = False) -> str:
    """An http(s) URL, refused when it is plain http to a host other than loopback (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureUrlError(f"{variable} must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise InsecureUrlError(
            f"refusing plain http:// to {parts.hostname} ({variable}): credentials would cross the network "
            "unencrypted (use https, or allow insecure http explicitly for a trusted proxy)"
        )
    return url
