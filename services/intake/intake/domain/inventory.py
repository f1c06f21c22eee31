"""Reading a donor's or the warehouse's inventory spreadsheet (a CSV export).

Real exports vary: `;` (French Excel) or `,` or tab separated, UTF-8 with or without a BOM or
Windows-1252, French headers spelt many ways, dates as dd/mm/yyyy, a title line above the
headers, blank lines at the end. This module finds the encoding, the separator and the header
row, maps the headers to device fields, and checks every row. It never touches the table:
"already registered" is the import's job (see intake.imports).

Row numbers are the spreadsheet's: the first line of the file is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import ValidationError

from shared import clock
from shared.events.vocabulary import DeviceSpecs, DeviceType, Drive, DriveKind

from intake.domain.devices import DeclaredDevice, declared_value_above_cap, natural_key, normal_serial

MAX_ROWS = 20_000
HEADER_SEARCH_LINES = 10
DELIMITERS = (";", ",", "\t")

# Device fields → header spellings, compared after `_header_key` (accents, case, "N°", "de"… removed).
HEADER_ALIASES: dict[str, set[str]] = {
    "serial_number": {"serie", "serial", "serial number", "sn", "s", "numero serie", "num serie"},  # "s" is S/N
    "make": {"marque", "fabricant", "constructeur", "make", "brand", "manufacturer"},
    "model": {"modele", "model", "reference modele", "designation"},
    "asset_tag": {"inventaire", "code inventaire", "asset tag", "asset", "immobilisation", "inventory",
                  "numero inventaire", "etiquette inventaire"},
    "device_type": {"type", "type materiel", "type equipement", "categorie", "device type", "nature"},
    "acquired_on": {"date acquisition", "acquisition", "date achat", "date mise service", "acquired on"},
    "cpu_model": {"processeur", "cpu", "processor"},
    "ram_gb": {"ram", "memoire", "memoire vive", "ram memory", "memory"},
    "storage": {"stockage", "disque", "disques", "disque dur", "storage", "capacite stockage"},
    "visible_condition": {"etat", "etat visuel", "etat visible", "observations", "observation", "remarques",
                          "commentaire", "commentaires", "condition"},
    # "Valeur (€)", "Valeur déclarée", "Valeur nette comptable (EUR)": what the donor says a device is worth.
    "declared_value_eur": {"valeur", "valeur declaree", "valeur estimee", "valeur unitaire", "valeur eur",
                           "valeur euros", "valeur nette comptable", "valeur nette comptable eur", "vnc",
                           "valeur residuelle", "declared value", "declared value eur", "value", "value eur"},
}
# How a missing column is named in an error: the spellings people know.
FIELD_LABELS = {
    "serial_number": "serial number ('N° de série', 'Numéro de série')",
    "make": "make ('Marque')",
    "model": "model ('Modèle')",
    "device_type": "device type ('Type')",
    "ram_gb": "RAM ('RAM (Go)', 'Mémoire')",
    "storage": "storage ('Stockage', 'Disque')",
}
IDENTITY_COLUMNS = ("serial_number", "make", "model", "device_type")
# How a row that repeats another row's serial under another make is reported.
SUSPECTED_DUPLICATE = "suspected duplicate"
SPEC_COLUMNS = ("ram_gb", "storage")

_HEADER_NOISE = {"n", "no", "num", "numero", "de", "d", "du", "des", "la", "le", "l", "en", "go", "gb", "mo", "en go"}

DEVICE_TYPE_WORDS: dict[str, DeviceType] = {
    **{word: DeviceType.LAPTOP for word in (
        "laptop", "portable", "pc portable", "ordinateur portable", "notebook", "ultraportable", "ultra portable",
        "netbook", "chromebook", "pc portable eleve", "portable eleve")},
    **{word: DeviceType.DESKTOP for word in (
        "desktop", "fixe", "pc fixe", "ordinateur fixe", "unite centrale", "uc", "ordinateur de bureau",
        "pc de bureau", "tour", "mini pc", "tout en un", "station de travail")},
    **{word: DeviceType.TABLET for word in ("tablet", "tablette", "tablette tactile", "ipad")},
    **{word: DeviceType.PHONE for word in (
        "phone", "telephone", "smartphone", "mobile", "telephone portable", "telephone mobile", "iphone")},
}

_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), ("day", "month", "year")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("year", "month", "day")),
)
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(to|tb|t|go|gb|g|mo|mb|m)?\b")
_DRIVE_KINDS = {"nvme": DriveKind.NVME, "ssd": DriveKind.SSD, "emmc": DriveKind.SSD, "flash": DriveKind.SSD,
                "hdd": DriveKind.HDD, "disque dur": DriveKind.HDD, "sata": DriveKind.HDD}
_DRIVE_SEPARATORS = re.compile(r"\s*(?:\+|/|&|;|,\s|\set\s)\s*")


class InventoryError(ValueError):
    """The file as a whole cannot be read (nothing is imported); the message says what to fix."""


@dataclass(frozen=True)
class AcceptedRow:
    row: int
    device: DeclaredDevice

    @property
    def natural_key(self) -> str:
        return natural_key(self.device.make, self.device.serial_number)


@dataclass(frozen=True)
class RejectedRow:
    row: int
    reason: str
    serial_number: str | None = None


@dataclass
class Inventory:
    encoding: str
    delimiter: str
    header_row: int
    columns: dict[str, str]
    ignored_columns: list[str]
    accepted: list[AcceptedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.accepted) + len(self.rejected)


def read_inventory(data: bytes, *, specs_required: bool, value_cap_eur: Decimal | None = None) -> Inventory:
    """Every data row of the file, accepted or rejected with its reason.

    `specs_required`: the warehouse's reception inventory must give RAM and storage (refurb
    needs them); a donor's declaration may leave them out. `value_cap_eur`: the most a device
    of this lot's donor may be worth (a public body's or a school's): a row declaring more is
    rejected.
    """
    text, encoding = decode(data)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=(delimiter := detect_delimiter(text))))
    header_index, columns, ignored = find_header(records)
    required = IDENTITY_COLUMNS + (SPEC_COLUMNS if specs_required else ())
    missing = [name for name in required if name not in columns]
    if missing:
        raise InventoryError(
            "missing column(s): " + ", ".join(FIELD_LABELS[name] for name in missing)
            + f"; columns found: {', '.join(repr(h) for h in records[header_index] if h.strip())}"
        )
    data_rows = [(number, cells) for number, cells in enumerate(records[header_index + 1:], start=header_index + 2)
                 if any(cell.strip() for cell in cells)]
    if not data_rows:
        raise InventoryError("the file has a header row but no device row")
    if len(data_rows) > MAX_ROWS:
        raise InventoryError(f"the file has {len(data_rows)} rows; at most {MAX_ROWS} per import: split it")

    positions = {name: records[header_index].index(header) for name, header in columns.items()}
    inventory = Inventory(encoding, delimiter, header_index + 1, columns, ignored)
    first_row_of: dict[str, int] = {}
    first_of_serial: dict[str, AcceptedRow] = {}
    for number, cells in data_rows:
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in positions.items()}
        outcome = read_row(values, specs_required=specs_required, value_cap_eur=value_cap_eur)
        if isinstance(outcome, str):
            inventory.rejected.append(RejectedRow(number, outcome, values.get("serial_number") or None))
            continue
        accepted = AcceptedRow(number, outcome)
        if (first := first_row_of.get(accepted.natural_key)) is not None:
            inventory.rejected.append(RejectedRow(
                number, f"serial {outcome.serial_number} ({outcome.make}) duplicates row {first}", outcome.serial_number))
            continue
        # Two makers rarely share a serial within one donor's file; a row typed under the wrong
        # make is likelier. A person checks the device and, if it is another one, registers it
        # on its own (POST /intake/lots/<lot>/devices): it is not registered twice silently.
        if (same_serial := first_of_serial.get(normal_serial(outcome.serial_number))) is not None:
            inventory.rejected.append(RejectedRow(
                number, f"{SUSPECTED_DUPLICATE}: serial {outcome.serial_number} ({outcome.make}) is on row "
                        f"{same_serial.row} under make {same_serial.device.make}; check the device, and register "
                        "it on its own if it is another one", outcome.serial_number))
            continue
        first_row_of[accepted.natural_key] = number
        first_of_serial[normal_serial(outcome.serial_number)] = accepted
        inventory.accepted.append(accepted)
    return inventory


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in: a BOM says it; else UTF-8 if it decodes, else Windows-1252."""
    if not data.strip():
        raise InventoryError("the file is empty")
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as error:
                raise InventoryError(f"the file starts with a {name} byte-order mark but is not {name}: {error}") from None
    for name in ("utf-8", "cp1252"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise InventoryError("the file is neither UTF-8 nor Windows-1252: export it again as CSV (UTF-8)")


def detect_delimiter(text: str) -> str:
    """The separator under which the header row maps the most device fields."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_LINES + 1])
    best, best_score = None, 0
    for delimiter in DELIMITERS:
        records = list(csv.reader(io.StringIO(head), delimiter=delimiter))
        score = max((len(map_headers(cells)[0]) for cells in records if _names_a_serial(cells)), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    if best is None:
        raise InventoryError(
            f"no header row naming the serial number in the first {HEADER_SEARCH_LINES} lines "
            "(expected a column such as 'N° de série' or 'Numéro de série', separated by ';', ',' or tabs)"
        )
    return best


def find_header(records: list[list[str]]) -> tuple[int, dict[str, str], list[str]]:
    """The first row (of the first few non-blank ones) that names the serial number column."""
    seen = 0
    for index, cells in enumerate(records):
        if not any(cell.strip() for cell in cells):
            continue
        if _names_a_serial(cells):
            columns, ignored = map_headers(cells)
            return index, columns, ignored
        seen += 1
        if seen >= HEADER_SEARCH_LINES:
            break
    raise InventoryError("no header row naming the serial number ('N° de série', 'Numéro de série')")


def map_headers(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Device field → the header that gives it; and the headers nothing uses."""
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        name = field_of_header(header)
        if name is None:
            if header.strip():
                ignored.append(header.strip())
            continue
        if name in columns:
            raise InventoryError(f"two columns give the {name.replace('_', ' ')}: {columns[name]!r} and {header!r}")
        columns[name] = header
    return columns, ignored


def field_of_header(header: str) -> str | None:
    key = _header_key(header)
    return next((name for name, aliases in HEADER_ALIASES.items() if key in aliases), None)


def read_row(values: dict[str, str], *, specs_required: bool,
             value_cap_eur: Decimal | None = None) -> DeclaredDevice | str:
    """The device a row describes, or why the row is rejected."""
    for name in IDENTITY_COLUMNS:
        if not values.get(name):
            return f"missing {name.replace('_', ' ')}"
    device_type = DEVICE_TYPE_WORDS.get(_plain(values["device_type"]))
    if device_type is None:
        return (f"unknown device type {values['device_type']!r} "
                f"(expected laptop, desktop, tablet or phone, e.g. 'PC portable', 'Unité centrale')")
    acquired_on = None
    if values.get("acquired_on"):
        acquired_on = parse_date(values["acquired_on"])
        if acquired_on is None:
            return f"invalid acquisition date {values['acquired_on']!r} (expected dd/mm/yyyy)"
        if acquired_on > clock.today():
            return f"acquisition date {values['acquired_on']} is in the future"
    specs, problem = _specs(values, required=specs_required)
    if problem:
        return problem
    value = None
    if values.get("declared_value_eur"):
        value = parse_euros(values["declared_value_eur"])
        if value is None:
            return f"invalid declared value {values['declared_value_eur']!r} (expected e.g. '250' or '249,90 €')"
        if value_cap_eur is not None and value > value_cap_eur:
            return f"declared value: {declared_value_above_cap(value, value_cap_eur)}"
    try:
        return DeclaredDevice(
            serial_number=values["serial_number"], make=values["make"], model=values["model"],
            device_type=device_type, asset_tag=values.get("asset_tag") or None, acquired_on=acquired_on,
            specs=specs, visible_condition=values.get("visible_condition") or None, declared_value_eur=value,
        )
    except ValidationError as error:
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def parse_date(text: str) -> date | None:
    text = text.strip().split(" ")[0]  # "12/09/2019 00:00" as some exports write it
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, map(int, match.groups())))
            try:
                return date(parts["year"], parts["month"], parts["day"])
            except ValueError:
                return None
    return None


def parse_euros(text: str) -> Decimal | None:
    """'250', '249,90', '249,90 €', '1 200,50 EUR', '1.200,50', '€ 90' → euros; None if unreadable,
    negative, or with more than two decimals (a '1.200' with a dot for thousands is not guessed)."""
    plain = re.sub(r"(?i)€|\beuros?\b|\beur\b", "", text)
    plain = re.sub(r"[\s\u00a0\u202f']", "", plain)  # thousands separators: spaces, apostrophes
    if "," in plain and "." in plain:  # both: the last one is the decimal separator
        decimal_mark = "," if plain.rfind(",") > plain.rfind(".") else "."
        plain = plain.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    else:
        plain = plain.replace(",", ".")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", plain):
        return None
    return Decimal(plain).quantize(Decimal("0.01"))


def parse_ram_gb(text: str) -> int | None:
    match = _SIZE.match(_plain(text))
    if not match:
        return None
    amount = float(match.group(1).replace(",", "."))
    unit = match.group(2) or "go"
    gigabytes = amount / 1024 if unit in ("mo", "mb", "m") else amount * 1024 if unit in ("to", "tb", "t") else amount
    return round(gigabytes) if gigabytes >= 1 else None


def parse_drives(text: str) -> list[Drive] | None:
    """'SSD 256 Go', '256Go SSD', 'HDD 500 Go + SSD 128 Go', '1 To HDD', 'eMMC 64' → drives."""
    drives = []
    for part in _DRIVE_SEPARATORS.split(_plain(text)):
        if not part:
            continue
        kind = next((k for word, k in _DRIVE_KINDS.items() if re.search(rf"\b{word}\b", part)), None)
        size = _SIZE.search(re.sub(r"\b(nvme|ssd|emmc|flash|hdd|sata|disque dur|m\.?\s?2)\b", " ", part))
        if kind is None or size is None:
            return None
        amount = float(size.group(1).replace(",", "."))
        unit = size.group(2) or "go"
        size_gb = round(amount * 1000 if unit in ("to", "tb", "t") else amount / 1000 if unit in ("mo", "mb", "m")
                        else amount)
        if size_gb < 1:
            return None
        drives.append(Drive(kind=kind, size_gb=size_gb))
    return drives or None


def _specs(values: dict[str, str], *, required: bool) -> tuple[DeviceSpecs | None, str | None]:
    ram_text, storage_text = values.get("ram_gb", ""), values.get("storage", "")
    if not ram_text and not storage_text and not required:
        return None, None
    if not ram_text:
        return None, "missing RAM"
    if not storage_text:
        return None, "missing storage"
    ram_gb = parse_ram_gb(ram_text)
    if ram_gb is None:
        return None, f"invalid RAM {ram_text!r} (expected e.g. '8 Go')"
    drives = parse_drives(storage_text)
    if drives is None:
        return None, f"invalid storage {storage_text!r} (expected e.g. 'SSD 256 Go' or 'HDD 500 Go + SSD 128 Go')"
    try:
        return DeviceSpecs(cpu_model=values.get("cpu_model") or None, ram_gb=ram_gb, drives=drives), None
    except ValidationError as error:
        first = error.errors()[0]
        return None, f"specs.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def _names_a_serial(cells: list[str]) -> bool:
    return any(field_of_header(cell) == "serial_number" for cell in cells)


def _plain(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Unité Centrale' → 'unite centrale'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9.,+/&;]+", " ", ascii_text).split())


def _header_key(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    return " ".join(word for word in words if word not in _HEADER_NOISE)
