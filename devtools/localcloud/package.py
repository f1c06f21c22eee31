"""Package template.yaml the way `sam package` would: code zips in S3, `s3://` URIs in the template.

Zips are reproducible (sorted entries, fixed timestamps) and named by their content hash,
so an unchanged folder keeps its S3 key and CloudFormation leaves its functions alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import BUILD, LAYERS, ROOT, TEMPLATE

LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIPPED = {"__pycache__", ".pytest_cache", "tests"}


def build_layers(python: str = sys.executable) -> None:
    """Third-party dependencies (rebuilt only when requirements/layer.txt changes) and `shared/`."""
    deps = LAYERS / "dependencies"
    stamp = deps / ".requirements.sha256"
    wanted = hashlib.sha256(LAYER_REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        shutil.rmtree(deps, ignore_errors=True)
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--target", str(deps / "python"), "-r", str(LAYER_REQUIREMENTS)],
            check=True,
        )
        stamp.write_text(wanted)
    shared = LAYERS / "shared" / "python" / "shared"
    shutil.rmtree(shared.parent, ignore_errors=True)
    shutil.copytree(ROOT / "shared", shared, ignore=shutil.ignore_patterns(*_SKIPPED))


def _packaged_files(folder: Path) -> list[Path]:
    return [
        path for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not _SKIPPED.intersection(path.relative_to(folder).parts)
        and not path.name.startswith(".")
    ]


# folder → (what its files looked like, their zip): the dependencies layer is tens of MB and
# rarely changes, so a redeploy in the same process re-zips only what did change.
_zips: dict[Path, tuple[tuple, bytes]] = {}
# The same, kept on disk for big folders: zipping the dependencies layer takes seconds, which
# every `make up` would pay again before finding that nothing changed.
ZIP_CACHE = BUILD / "zips"
_DISK_CACHED_FROM = 1_000_000  # bytes of zip


def zip_folder(folder: Path) -> bytes:
    files = _packaged_files(folder)
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    cached = _zips.get(folder)
    if cached and cached[0] == signature:
        return cached[1]
    on_disk = ZIP_CACHE / f"{folder.name}-{hashlib.sha256(repr(signature).encode()).hexdigest()[:16]}.zip"
    if on_disk.exists():
        _zips[folder] = (signature, on_disk.read_bytes())
        return _zips[folder][1]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    _zips[folder] = (signature, buffer.getvalue())
    if len(buffer.getvalue()) >= _DISK_CACHED_FROM:
        ZIP_CACHE.mkdir(parents=True, exist_ok=True)
        for stale in ZIP_CACHE.glob(f"{folder.name}-*.zip"):
            stale.unlink()
        on_disk.with_suffix(".tmp").write_bytes(buffer.getvalue())
        on_disk.with_suffix(".tmp").replace(on_disk)
    return buffer.getvalue()


class TemplateError(ValueError):
    """The template cannot be read; the message names the file and the line."""


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    try:
        template = yaml_parse(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}, line {mark.line + 1}" if mark else path.name
        raise TemplateError(f"{where}: {getattr(error, 'problem', None) or error}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path.name}: no Resources section")
    return template


class Packager:
    """Uploads each distinct code folder once per content and rewrites the template's URIs."""

    def __init__(self, s3, bucket: str, root: Path = ROOT):
        self.s3 = s3
        self.bucket = bucket
        self.root = root  # local paths in the template are relative to its folder
        self._uploaded: dict[Path, str] = {}

    def ensure_bucket(self) -> None:
        existing = {b["Name"] for b in self.s3.list_buckets().get("Buckets", [])}
        if self.bucket not in existing:
            self.s3.create_bucket(Bucket=self.bucket)

    def upload(self, folder: Path) -> str:
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} (a CodeUri or ContentUri of the template) is not a folder")
        if folder not in self._uploaded:
            body = zip_folder(folder)
            key = f"{folder.name}-{hashlib.sha256(body).hexdigest()[:16]}.zip"
            try:
                self.s3.head_object(Bucket=self.bucket, Key=key)
            except self.s3.exceptions.ClientError:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            self._uploaded[folder] = f"s3://{self.bucket}/{key}"
        return self._uploaded[folder]

    def package(self, template: dict[str, Any]) -> dict[str, Any]:
        """Every local CodeUri / ContentUri (in Globals too) becomes the s3:// URI of its zip."""
        places = [(template.get("Globals", {}).get("Function", {}), "CodeUri")]
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Serverless::Function":
                places.append((resource.get("Properties", {}), "CodeUri"))
            elif resource["Type"] == "AWS::Serverless::LayerVersion":
                places.append((resource.get("Properties", {}), "ContentUri"))
        for properties, key in places:
            uri = properties.get(key)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                properties[key] = self.upload(self.root / uri)
        return template


def template_body(template: dict[str, Any]) -> str:
    return json.dumps(template, separators=(",", ":"))
