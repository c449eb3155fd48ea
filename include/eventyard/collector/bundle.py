"""analytics.js for the standard snippets: ``@segment/analytics-next``'s standalone bundle, re-hosted.

The bundle is the pinned npm package's ``dist/umd/standalone.js``, installed by ``npm ci``
(``make setup``), never committed. Served as is except for two substitutions that make it
talk to this collector instead of Segment's CDN:

- ``window.analyticsWriteKey = "__WRITE_KEY__"`` (the hook Segment left for self-hosting)
  gets the write key of the URL, so every URL form works: ``analytics.min.js``,
  MetaRouter's ``metalytics.min.js`` and ``<wk>.js``;
- the CDN base ``https://cdn.segment.com`` becomes this collector's base URL, so the
  bundle fetches ``/v1/projects/<wk>/settings`` and its lazy chunks from us.

MetaRouter's second snippet keeps its queue in ``window.metalytics``; for ``metalytics.min.js``
a one-line prelude tags the script with ``data-global-segment-analytics-key="metalytics"``,
which analytics-next reads to pick its global.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import eventyard
from eventyard.errors import FatalError
from eventyard.project_files import packaged_folder

PACKAGE_DIR = Path("node_modules/@segment/analytics-next/dist/umd")
_SEGMENT_CDN = b"https://cdn.segment.com"
_EMBEDDED_KEY = b'"__WRITE_KEY__"'
_CHUNK_NAME = re.compile(r"^[\w.-]+\.js$")
_METALYTICS_PRELUDE = (
    b"(function(){var s=document.currentScript;"
    b's&&s.setAttribute("data-global-segment-analytics-key","metalytics")})();\n'
)


class BundleMissing(FatalError):
    """analytics-next is not installed (run ``make setup``, which runs ``npm ci``)."""


def bundle_dirs() -> list[Path]:
    """Where ``dist/umd`` may be: next to the source checkout, under the working directory, or
    copied into an installed wheel (setup.py)."""
    checkout = Path(eventyard.__file__).resolve().parents[2]
    return [checkout / PACKAGE_DIR, Path.cwd() / PACKAGE_DIR, packaged_folder("analytics-next")]


@lru_cache(maxsize=1)
def _umd_dir() -> Path:
    for folder in bundle_dirs():
        if (folder / "standalone.js").is_file():
            return folder
    raise BundleMissing(
        "analytics.js is not installed: run `make setup` (npm ci installs @segment/analytics-next)"
    )


@lru_cache(maxsize=1)
def _standalone() -> bytes:
    data = (_umd_dir() / "standalone.js").read_bytes()
    if _EMBEDDED_KEY not in data:
        raise BundleMissing("this @segment/analytics-next build has no embedded write-key hook")
    return data


def analytics_js(write_key: str, base_url: str, *, metalytics: bool) -> bytes:
    """The bundle bound to ``write_key`` and loading settings and chunks from ``base_url``."""
    key = write_key.encode()
    if not re.fullmatch(rb"[0-9A-Za-z_-]{1,64}", key):
        raise ValueError("write keys are URL-safe identifiers")
    body = _standalone().replace(_EMBEDDED_KEY, b'"' + key + b'"', 1)
    body = body.replace(_SEGMENT_CDN, base_url.rstrip("/").encode())
    return _METALYTICS_PRELUDE + body if metalytics else body


def chunk(name: str) -> bytes:
    """A lazily loaded chunk of the bundle (``/analytics-next/bundles/<name>``)."""
    if not _CHUNK_NAME.match(name):
        raise FileNotFoundError(name)
    path = _umd_dir() / name
    if not path.is_file():
        raise FileNotFoundError(name)
    return path.read_bytes()


def reset_cache() -> None:
    """Forget the located bundle (tests that move ``node_modules`` call this)."""
    _umd_dir.cache_clear()
    _standalone.cache_clear()
