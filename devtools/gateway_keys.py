"""The gateway's key store (`gateway/key_store.py`), for the tools that write into its table directly.

`gateway/` is a Lambda code root: its modules are top-level there and in the tests (see
pyproject's `pythonpath`), so the tools import them the same way.
"""

from __future__ import annotations

import sys

from devtools.localcloud.paths import ROOT

_GATEWAY = str(ROOT / "gateway")
if _GATEWAY not in sys.path:
    sys.path.append(_GATEWAY)

from key_store import PartnerKey, PartnerKeyStore  # noqa: E402

__all__ = ["PartnerKey", "PartnerKeyStore"]
