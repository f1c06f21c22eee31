"""Recognising personal data in text a person typed, and refusing it at the door.

A free-text field (a warranty note, a cancellation reason, a workshop's notes) is for the
device or the situation, never for the person: no e-mail address, phone number, postal
address or "Mme Martin". `find_personal_data` says what a text looks like it contains;
`free_text(...)` is a pydantic type for such a field, so a request carrying personal data
is a 422 naming the field and saying why, before anything is read or written.

The patterns are French (the programme's): phone numbers 0X XX XX XX XX / +33 / 0033,
postcodes, street words, civilities. They favour catching a typed name or address over
never bothering anyone, but stay clear of what workshops really write ("écran cassé,
2 touches manquantes", "batterie 45 %", "ThinkPad T480", a date).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# 06 12 34 56 78, 0612345678, 01.23.45.67.89, 06-12-34-56-78, +33 6 12 34 56 78, +33 (0)6…, 0033 6…
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")

_STREET_WORDS = (
    r"rue|avenue|av|bd|boulevard|place|pl|chemin|all[ée]e|impasse|route|quai|cours|square|r[ée]sidence|"
    r"lotissement|lieu-dit|voie|passage|faubourg|sentier|esplanade|rond-point|cit[ée]|hameau|parvis|"
    r"promenade|ruelle|villa|clos|mont[ée]e"
)
# "12 rue de la Paix", "3bis, avenue Foch", "5 bd Voltaire"
_STREET = re.compile(rf"(?<!\w)\d{{1,4}}\s?(?:bis|ter|b)?,?\s+(?:{_STREET_WORDS})\.?(?!\w)", re.IGNORECASE)
# "35000 Rennes", "97411 Saint-Denis": a French postcode, then a capitalised town name.
_POSTCODE_TOWN = re.compile(r"(?<!\d)(?:0[1-9]|[1-8]\d|9[0-8])\d{3}\s+[A-ZÀ-Ý][a-zà-ÿ][\w'-]*")

# "M." and "Mr" are a civility only before a capitalised name ("M. Dupont", not "SSD M.2").
_SHORT_CIVILITY = re.compile(r"(?<!\w)(?:M\.|MM\.|Mr\.?)\s*[A-ZÀ-Ý][\w'-]+")
# The others in any case, before a word that is not grammar ("mme martin", not "madame a appelé").
_CIVILITY = re.compile(r"(?<!\w)(?:madame|monsieur|mademoiselle|mesdames|messieurs|mmes?|mlles?)\.?\s+([\w'’-]+)",
                       re.IGNORECASE)
_NOT_A_NAME = {
    "a", "à", "au", "aux", "avait", "est", "était", "et", "ou", "de", "du", "des", "la", "le", "les", "l", "qui",
    "que", "dit", "a-t-il", "n", "ne", "nous", "vous", "se", "s", "sa", "son", "ses", "pour", "par", "avec", "sur",
    "dans", "en", "y", "va", "veut", "voudrait", "souhaite", "demande", "signale", "indique", "ramène", "rapporte",
}

WHAT: dict[str, re.Pattern[str]] = {
    "an e-mail address": _EMAIL,
    "a phone number": _PHONE,
    "a postal address": _STREET,
    "a postcode and town": _POSTCODE_TOWN,
    "a person's name": _SHORT_CIVILITY,
}


def find_personal_data(text: str) -> str | None:
    """What `text` looks like it contains ("a phone number", …), or None."""
    for what, pattern in WHAT.items():
        if pattern.search(text):
            return what
    for match in _CIVILITY.finditer(text):
        if match.group(1).lower().replace("’", "'").split("'")[0] not in _NOT_A_NAME:
            return "a person's name"
    return None


def refuse_personal_data(text: str, hint: str) -> str:
    """The text unchanged, or a validation error saying what it looks like it contains."""
    what = find_personal_data(text)
    if what is not None:
        raise PydanticCustomError("personal_data", "looks like personal data ({what}): {hint}",
                                  {"what": what, "hint": hint})
    return text


DESCRIBE_THE_DEVICE = "describe the device, not the person"


def free_text(max_length: int, hint: str = DESCRIBE_THE_DEVICE) -> type[str]:
    """A free-text request field of at most `max_length` characters, refused if it holds personal data.

    Free text stays in the service that received it: event contracts have no such field."""
    return Annotated[str, Field(min_length=1, max_length=max_length),
                     AfterValidator(partial(refuse_personal_data, hint=hint))]
