"""The portal's words: one catalogue per language, a folder of JSON files (one per area).

Keys are dotted (`referrer.form.title`); a file may nest them. A missing key is an error, not
a blank: the unit tests check that every key a template or a script uses exists.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

CATALOGUES = Path(__file__).parent / "catalogue"
DEFAULT_LANGUAGE = "fr"


def _flatten(entries: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in entries.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


@functools.cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, dict[str, str]]:
    """Each area's entries, by area (the file's name)."""
    return {path.stem: _flatten(json.loads(path.read_text(encoding="utf-8")))
            for path in sorted((CATALOGUES / language).glob("*.json"))}


@functools.cache
def words(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    merged: dict[str, str] = {}
    for entries in catalogue(language).values():
        merged |= entries
    return merged


class MissingWord(KeyError):
    pass


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    try:
        text = words(language)[key]
    except KeyError:
        raise MissingWord(f"{key!r} is in no file of portal/catalogue/{language}/") from None
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def areas(names: tuple[str, ...], language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The entries of the named areas (and `common`), for a page's script."""
    chosen: dict[str, str] = {}
    for name in ("common", *names):
        chosen |= catalogue(language)[name]
    return chosen
