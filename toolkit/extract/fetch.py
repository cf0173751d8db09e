"""Fetch a school's policy page or file from the web, with a timeout and a size limit."""

from __future__ import annotations

import urllib.error
import urllib.request

from toolkit import __version__
from toolkit.errors import ExtractionError

FETCH_TIMEOUT_S = 20
MAX_FETCH_BYTES = 25 * 1024 * 1024


def fetch(url: str) -> tuple[bytes, str]:
    """(body, content type) of a web address; ExtractionError on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": f"dipsample/{__version__} (policy dip sample)"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 (http/https only)
            body = response.read(MAX_FETCH_BYTES + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise ExtractionError(f"{url}: the web server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ExtractionError(f"{url}: could not be fetched ({reason})") from exc
    if len(body) > MAX_FETCH_BYTES:
        raise ExtractionError(f"{url}: larger than {MAX_FETCH_BYTES // 2**20} MB; download it and check the file")
    return body, content_type
