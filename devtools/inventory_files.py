"""Generated inventory spreadsheets, as a département and its collèges export them.

A year's retirement of a département: a quarter of the devices from its administration, the
rest from its public middle schools; mostly laptops, some desktops and tablets. Bad rows are
put in on purpose (a serial typed twice, a missing serial, a printer in the list), so the
expected outcome of an import is known exactly. Serials carry a tag of the run, so files of
different runs never share a device.

    .venv/bin/python -m devtools.inventory_files 3800 > inventaire.csv     # cp1252, ';'
"""

from __future__ import annotations

import codecs
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta

MODELS = [  # make, model, type word, serial prefix, RAM, storage, CPU
    ("HP", "EliteBook 840 G5", "PC portable", "5CG", "8", "SSD 256 Go", "Intel Core i5-8350U"),
    ("HP", "ProBook 450 G6", "Ordinateur portable", "5CD", "8", "SSD 256 Go", "Intel Core i5-8265U"),
    ("Dell", "Latitude 5490", "PC portable", "", "8", "SSD 256 Go", "Intel Core i5-8250U"),
    ("Lenovo", "ThinkPad T480", "Portable", "PF", "16", "NVMe 512 Go", "Intel Core i5-8350U"),
    ("Lenovo", "ThinkCentre M720s", "Unité centrale", "MJ", "8", "HDD 500 Go", "Intel Core i3-8100"),
    ("HP", "ProDesk 600 G3", "Unité centrale", "CZC", "8", "SSD 128 Go + HDD 500 Go", "Intel Core i5-6500"),
    ("Apple", "iPad 6e génération", "Tablette", "DMP", "2", "eMMC 32 Go", "Apple A10"),
    ("Samsung", "Galaxy Tab A 10.1", "Tablette", "R52", "2", "eMMC 32 Go", "Exynos 7870"),
]
COLLEGES = ["0350001A", "0350015R", "0350023Z", "0350042V", "0351047F", "0351082U", "0351234J"]
CONDITIONS = ["", "", "", "Rayures sur le capot", "Écran marqué", "Clavier usé", "Charnière fragile", "Bon état"]

DIALECTS = {
    # name: (encoding, BOM, separator, headers)
    "cp1252;": ("cp1252", False, ";", ["N° de série", "Marque", "Modèle", "N° d'inventaire", "Type",
                                        "Date d'acquisition", "Processeur", "RAM (Go)", "Stockage", "État visuel",
                                        "Établissement"]),
    "utf-8-bom,": ("utf-8", True, ",", ["Numéro de série", "Marque", "Modèle", "Numéro d'inventaire",
                                         "Type de matériel", "Date d'acquisition", "Processeur", "Mémoire (Go)",
                                         "Disque", "Observations", "Établissement"]),
}


@dataclass
class GeneratedInventory:
    content: bytes
    rows: int
    rejected_rows: dict[int, str] = field(default_factory=dict)  # row → the start of its expected reason
    accepted_devices: list[tuple[int, str, str]] = field(default_factory=list)  # row, make, serial

    @property
    def accepted(self) -> int:
        return self.rows - len(self.rejected_rows)


def departement_inventory(rows: int = 3800, *, run_tag: str = "A1", dialect: str = "cp1252;",
                          duplicates: int = 25, missing_serials: int = 15, unknown_types: int = 10,
                          seed: int = 35) -> GeneratedInventory:
    """`rows` data rows, of which `duplicates + missing_serials + unknown_types` are bad on purpose."""
    encoding, bom, separator, headers = DIALECTS[dialect]
    generator = random.Random(seed)
    bad = duplicates + missing_serials + unknown_types
    bad_rows = sorted(generator.sample(range(rows // 10, rows), bad))  # never among the first rows
    kinds = ["duplicate"] * duplicates + ["missing"] * missing_serials + ["unknown"] * unknown_types
    generator.shuffle(kinds)
    bad_kind = dict(zip(bad_rows, kinds))

    lines = [_line(headers, separator)]
    result = GeneratedInventory(b"", rows)
    good: list[list[str]] = []
    for index in range(rows):
        row_number = index + 2  # the header is row 1
        cells = _device_row(generator, index, run_tag)
        kind = bad_kind.get(index)
        if kind == "duplicate":
            original_row, original = generator.choice(good)
            cells = list(original)
            cells[0] = " ".join(original[0].lower()) if generator.random() < 0.3 else original[0]  # typed by hand
            cells[3] = ""  # typed again from another list: no asset tag
            serial = "".join(cells[0].split())  # as intake reads it back
            result.rejected_rows[row_number] = f"serial {serial} ({cells[1]}) duplicates row {original_row}"
        elif kind == "missing":
            cells[0] = ""
            result.rejected_rows[row_number] = "missing serial number"
        elif kind == "unknown":
            cells[4] = generator.choice(["Imprimante", "Écran", "Vidéoprojecteur"])
            result.rejected_rows[row_number] = f"unknown device type '{cells[4]}'"
        else:
            good.append((row_number, cells))
            result.accepted_devices.append((row_number, cells[1], cells[0]))
        lines.append(_line(cells, separator))
    lines += [separator * (len(headers) - 1), "", ""]  # what spreadsheets leave at the end
    text = "\r\n".join(lines)
    result.content = (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)
    return result


def _device_row(generator: random.Random, index: int, run_tag: str) -> list[str]:
    make, model, type_word, prefix, ram, storage, cpu = generator.choices(MODELS, weights=[30, 20, 20, 10, 6, 6, 5, 3])[0]
    serial = f"{prefix}{run_tag}{index:05d}"
    if index % 4 == 0:  # a quarter from the département's own administration
        tag, site = f"CD35-{2016 + index // 4 % 5}-{index:05d}", "Hôtel du Département"
    else:
        uai = COLLEGES[index % len(COLLEGES)]
        tag, site = f"CLG-{uai}-{index:05d}", f"Collège {uai}"
    acquired = date(2016, 1, 4) + timedelta(days=generator.randrange(0, 5 * 365))
    return [serial, make, model, tag, type_word, acquired.strftime("%d/%m/%Y"), cpu, ram, storage,
            generator.choice(CONDITIONS), site]


def _line(cells: list[str], separator: str) -> str:
    return separator.join(f'"{c}"' if separator in c or '"' in c else c for c in cells)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3800
    sys.stdout.buffer.write(departement_inventory(count).content)
