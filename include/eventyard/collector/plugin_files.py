"""The browser plugin bundles the collector serves under ``/v1/plugins/``.

Two kinds, both produced by ``make setup`` and never committed:

- our own plugins, built by esbuild from ``browser/plugins/*.js`` into ``build/browser/``
  (``npm run build``): ``/v1/plugins/<plugin>.js``;
- the maintained Segment browser destinations of the pinned ``@segment/browser-destinations``
  package (its ``dist/web/<destination>/<hash>.js`` bundles, found through the package's
  ``manifest-latest.json``): ``/v1/plugins/segment/<destination>/bundle.js``, and the chunks
  they load next to it (``/v1/plugins/segment/<chunk>/<hash>.js``: webpack resolves them from
  the bundle's own URL, one folder up, as on Segment's CDN). Our wrapper plugin for such a
  destination loads that bundle and gates it like every other plugin.

URLs carry ``?v=<content hash>`` so that browsers may cache a bundle for a long time and still
pick up a rebuilt one.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

import eventyard
from eventyard.errors import FatalError

OWN_DIR = Path("build/browser")
SEGMENT_DIR = Path("node_modules/@segment/browser-destinations/dist/web")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PluginMissing(FatalError):
    """The plugin bundles are not built (run ``make setup``)."""


def _roots(relative: Path) -> list[Path]:
    checkout = Path(eventyard.__file__).resolve().parents[2]
    return [checkout / relative, Path.cwd() / relative]


@lru_cache(maxsize=2)
def _folder(relative: Path, probe: str) -> Path:
    for folder in _roots(relative):
        if (folder / probe).is_file():
            return folder
    raise PluginMissing(f"browser plugins are not built ({relative}): run `make setup`")


@lru_cache(maxsize=256)
def own_plugin(name: str) -> bytes:
    """Our built plugin ``name`` (``FileNotFoundError`` when there is none by that name)."""
    if not _NAME_RE.match(name):
        raise FileNotFoundError(name)
    path = _folder(OWN_DIR, "click-ids.js") / f"{name}.js"
    if not path.is_file():
        raise FileNotFoundError(name)
    return path.read_bytes()


@lru_cache(maxsize=1)
def _segment_manifest() -> dict[str, str]:
    folder = _folder(SEGMENT_DIR, "manifest-latest.json")
    manifest = json.loads((folder / "manifest-latest.json").read_text())
    return {str(k): str(v) for k, v in manifest.items()}


@lru_cache(maxsize=64)
def segment_destination(name: str) -> bytes:
    """A file of the Segment package: ``<destination>/bundle.js`` or ``<chunk>/<hash>.js``."""
    folder, _, file = name.partition("/")
    if not _NAME_RE.match(folder) or not _NAME_RE.match(file.removesuffix(".js")) or not file.endswith(".js"):
        raise FileNotFoundError(name)
    if file == "bundle.js":
        file = _segment_manifest().get(folder, "")
    path = _folder(SEGMENT_DIR, "manifest-latest.json") / folder / file
    if not file or not path.is_file():
        raise FileNotFoundError(name)
    return path.read_bytes()


@lru_cache(maxsize=512)
def version(kind: str, name: str) -> str:
    """A short content hash of a bundle, for cache-busting URLs."""
    data = own_plugin(name) if kind == "own" else segment_destination(name)
    return hashlib.sha256(data).hexdigest()[:12]


def reset_cache() -> None:
    """Forget located and read bundles (after a rebuild, in tests)."""
    for cached in (_folder, own_plugin, _segment_manifest, segment_destination, version):
        cached.cache_clear()
