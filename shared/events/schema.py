"""Export every event contract as JSON Schema (for partners and for contract tests).

    python -m shared.events.schema docs/events     # writes one file per event type and version
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.events import EventEnvelope, all_contracts


def event_schemas() -> dict[str, dict[str, Any]]:
    """`{"DeviceReceived.v1": schema, ...}` plus the envelope's schema."""
    schemas = {"EventEnvelope": EventEnvelope.model_json_schema()}
    for contract in all_contracts():
        schema = contract.model_json_schema()
        schema["x-event-type"] = contract.EVENT_TYPE
        schema["x-schema-version"] = contract.SCHEMA_VERSION
        schema["x-source"] = contract.source()
        schemas[f"{contract.EVENT_TYPE}.v{contract.SCHEMA_VERSION}"] = schema
    return schemas


def main(target: str) -> None:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(event_schemas())} schemas to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/events")
