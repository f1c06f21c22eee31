"""Where things are in the checkout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
BUILD = ROOT / ".build"
LAYERS = BUILD / "layers"
LOCALCLOUD_VENV = ROOT / ".venv-localcloud"
# ministack with its state saved periodically; run by ministack's own interpreter.
SAVING_SERVER = ROOT / "devtools" / "localcloud" / "saving_server.py"
# Where `make up` keeps the local cloud's state (git ignores it; `make reset` wipes it).
LOCALCLOUD_STATE = ROOT / ".localcloud"
DEV_PARTNERS = ROOT / "devtools" / "dev-partners.json"
DEV_PEOPLE = ROOT / "devtools" / "dev-people.json"
# What the deployed code is made of: a change under one of these triggers a redeploy.
SOURCE_DIRS = [ROOT / "services", ROOT / "shared", ROOT / "gateway", ROOT / "portal"]
