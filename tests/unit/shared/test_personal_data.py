"""The personal-data check on free text: what a person might type about someone, and what
workshops and points of sale really write, which must pass."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from shared.personal_data import find_personal_data, free_text


@pytest.mark.parametrize("text, what", [
    ("écrire à jean.dupont@example.fr", "an e-mail address"),
    ("contact: j-dupont+sav@mairie-rennes.bzh", "an e-mail address"),
    ("rappeler au 06 12 34 56 78", "a phone number"),
    ("tél 0612345678", "a phone number"),
    ("+33 6 12 34 56 78", "a phone number"),
    ("+33612345678", "a phone number"),
    ("0033 1 23 45 67 89", "a phone number"),
    ("fixe : 01.23.45.67.89", "a phone number"),
    ("07-81-22-33-44 le soir", "a phone number"),
    ("habite 12 rue de la Paix", "a postal address"),
    ("3bis, avenue Foch", "a postal address"),
    ("5 bd Voltaire", "a postal address"),
    ("14 allée des Tilleuls", "a postal address"),
    ("2 impasse du Moulin", "a postal address"),
    ("livré 35000 Rennes", "a postcode and town"),
    ("97411 Saint-Denis", "a postcode and town"),
    ("M. Dupont a fait tomber l'ordinateur", "a person's name"),
    ("vu avec M.Dupont", "a person's name"),
    ("Mme Martin", "a person's name"),
    ("MME MARTIN", "a person's name"),
    ("mme martin", "a person's name"),
    ("Madame Lefebvre", "a person's name"),
    ("monsieur durand", "a person's name"),
    ("Monsieur d'Artagnan", "a person's name"),
    ("Mlle Petit", "a person's name"),
])
def test_personal_data_is_recognised(text, what):
    assert find_personal_data(text) == what


@pytest.mark.parametrize("text", [
    "écran cassé, 2 touches manquantes",
    "batterie 45 %",
    "batterie 4 cellules 45 Wh, 12000 mAh",
    "ThinkPad T480",
    "HP EliteBook 840 G5, i5-8250U, 8 Go, SSD 256 Go",
    "Latitude 5490",
    "SSD M.2 2280 NVMe remplacé",
    "28/11/2026",
    "2026-11-28T09:30:00Z",
    "écran cassé le 01/12/2026 à 14h",
    "remplacé le 12/03, sous garantie",
    "écran 15,6 pouces 1920x1080",
    "3 places libres dans la housse",
    "clavier fr-azerty, touche M. cassée",
    "la cliente a fait tomber l'ordinateur",
    "Monsieur a appelé pour le chargeur",
    "madame l'a rapporté avec le chargeur",
    "Windows 11 Pro 23H2, Linux Mint 22",
    "numéro de série 5CG8123XYZ",
    "payment refused",
    "",
])
def test_what_workshops_and_points_of_sale_write_passes(text):
    assert find_personal_data(text) is None


class Note(BaseModel):
    note: free_text(200, "describe the fault, not the person") | None = None


def test_a_free_text_field_refuses_personal_data_saying_what_and_why():
    with pytest.raises(ValidationError) as refused:
        Note(note="rappeler Mme Martin au 06 12 34 56 78")
    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("note",), "personal_data")
    assert error["msg"] == "looks like personal data (a phone number): describe the fault, not the person"


def test_a_free_text_field_keeps_an_ordinary_note_and_its_length_limit():
    assert Note(note="écran cassé, 2 touches manquantes").note == "écran cassé, 2 touches manquantes"
    assert Note().note is None
    with pytest.raises(ValidationError):
        Note(note="x" * 201)
    with pytest.raises(ValidationError):
        Note(note="")
