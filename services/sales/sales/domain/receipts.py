"""Receipt numbers: sequential per point of sale and year, with no gap (French invoicing rule).

The number is taken from a counter written in the same transaction as the sale, so a
failed or retried sale never consumes a number.
"""

from __future__ import annotations


def receipt_number(point_of_sale_id: str, year: int, sequence: int) -> str:
    return f"{point_of_sale_id}-{year}-{sequence:06d}"
