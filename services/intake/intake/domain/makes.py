"""One name per maker, however an export spells it ('HP', 'Hewlett-Packard', 'HP Inc.').

The serial guard identifies a device by serial + make: two spellings of one maker must give
one key, or the same laptop is registered twice. `normal_make` gives the key's make: a known
maker's one name, whatever its case, punctuation and company suffix ('Inc.', 'Corporation',
'Computer', 'GmbH'…); any other make as typed, in capitals with single spaces (an unknown
maker's suffix is kept: 'Foo' and 'Foo Inc.' may be two makers, and nothing says otherwise).
The make as typed is kept on the device for display.
"""

from __future__ import annotations

import re

# The one name of each known maker → how exports spell it, once case, punctuation, spaces and
# company suffixes are taken away (see _bare). Toshiba's PCs became Dynabook's in 2018-2020:
# one maker for the serial guard, as the serial series continued.
KNOWN_MAKES: dict[str, tuple[str, ...]] = {
    "LENOVO": ("lenovo",),
    "HP": ("hp", "hewlettpackard"),
    "DELL": ("dell",),
    "APPLE": ("apple",),
    "ACER": ("acer",),
    "ASUS": ("asus", "asustek", "asustekcomputer"),
    "TOSHIBA": ("toshiba", "dynabook", "toshibadynabook"),
    "FUJITSU": ("fujitsu", "fujitsusiemens", "fujitsutechnologysolutions"),
    "SAMSUNG": ("samsung",),
    "MICROSOFT": ("microsoft", "microsoftsurface"),
    "MSI": ("msi", "microstar", "microstarinternational"),
    "PANASONIC": ("panasonic",),
    "LG": ("lg",),
    "HUAWEI": ("huawei",),
    "GOOGLE": ("google",),
    "MEDION": ("medion",),
    "GETAC": ("getac",),
    "GIGABYTE": ("gigabyte",),
    "RAZER": ("razer",),
    "XIAOMI": ("xiaomi",),
}

# Words a company's name ends with that do not tell makers apart (legal forms and the like),
# taken away from the end only: 'Apple Computer, Inc.' is Apple.
COMPANY_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "plc", "gmbh", "ag",
    "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "ab", "oy", "kk", "pte", "pty", "computer", "computers",
    "electronics", "international", "technology", "technologies", "group", "holdings", "france", "europe",
})

_ALIASES = {alias: name for name, aliases in KNOWN_MAKES.items() for alias in aliases}
_WORD = re.compile(r"[^\W_]+")


def _bare(typed: str) -> str:
    """'Hewlett-Packard Company' → 'hewlettpackard'; 'ASUSTeK COMPUTER INC.' → 'asustek'."""
    words = _WORD.findall(typed.casefold())
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return "".join(words)


def normal_make(typed: str) -> str:
    """The make the serial guard uses: a known maker's one name, else the make in capitals
    with its spaces made single."""
    return _ALIASES.get(_bare(typed)) or " ".join(typed.split()).upper()
