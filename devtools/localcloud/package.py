"""Package template.yaml the way `sam package` would: code zips in S3, `s3://` URIs in the template.

Zips are reproducible (sorted entries, fixed timestamps, bytecode compiled the same way
each time) and named by their content hash, so an unchanged folder keeps its S3 key and CloudFormation leaves its functions alone.

Each zip carries the bytecode of its modules for the runtime's Python: Lambda's code and layer
folders are read-only, so without it every cold start compiles every module it imports again
(docs/architecture.md, decision 33).
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import BUILD, LAYERS, ROOT, TEMPLATE

LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
# The layers only some functions are given (template.yaml): layer name → its requirements.
# Installed without dependencies, on top of the dependencies layer every function has.
OPTIONAL_LAYERS = {
    "documents": ROOT / "requirements" / "layer-documents.txt",
    "tokens": ROOT / "requirements" / "layer-tokens.txt",
    "pages": ROOT / "requirements" / "layer-pages.txt",
}
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIPPED = {"__pycache__", ".pytest_cache", "tests"}
# The template's Runtime (python3.12): bytecode is only valid for the Python that wrote it.
RUNTIME_PYTHON = (3, 12)
# Compiled in a child interpreter with a fixed hash seed, so that the same source always gives
# the same bytes (a set's order in a constant follows the string hashes). Hash-based and
# unchecked: the zip's fixed timestamps would make timestamp-based bytecode look stale, and the
# code in a deployed function never changes under it.
_COMPILER = """
import json, py_compile, sys
for source, target, shown in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=target, dfile=shown, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        pass  # a module that does not compile here is shipped as source, as before
"""


def build_layers(python: str = sys.executable) -> None:
    """Third-party layers (each rebuilt only when its requirements change) and `shared/`."""
    _install_layer(python, LAYERS / "dependencies", LAYER_REQUIREMENTS, lazy=True)
    for name, requirements in OPTIONAL_LAYERS.items():
        _install_layer(python, LAYERS / name, requirements, lazy=False)
    shared = LAYERS / "shared" / "python" / "shared"
    shutil.rmtree(shared.parent, ignore_errors=True)
    shutil.copytree(ROOT / "shared", shared, ignore=shutil.ignore_patterns(*_SKIPPED))


def _install_layer(python: str, folder: Path, requirements: Path, *, lazy: bool) -> None:
    stamp = folder / ".requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes() + (LAZY_PACKAGES_VERSION if lazy else b"")).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(folder, ignore_errors=True)
    # The optional layers list every package they need: without --no-deps pip would copy the
    # dependencies layer's (typing_extensions, ...) into them again.
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         *([] if lazy else ["--no-deps"]), "--target", str(folder / "python"), "-r", str(requirements)],
        check=True,
    )
    if lazy:
        for package in LAZY_PACKAGES:
            make_lazy(folder / "python", package)
    stamp.write_text(wanted)


# Packages whose `__init__` imports every submodule's names although a function uses one or two:
# Powertools' event_handler imports all its resolvers (AppSync's imports asyncio, ~30 ms of each
# cold start), its batch utility the asynchronous processor (asyncio again), its data classes
# thirty kinds of events. In the layer, their `__init__` is rewritten to import each name on first use.
LAZY_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.batch",
                 "aws_lambda_powertools.utilities.data_classes", "aws_lambda_powertools.utilities.idempotency")
LAZY_PACKAGES_VERSION = b"lazy-init-3"  # part of the layer's stamp: a change here rebuilds it

_LAZY_INIT = '''"""{doc}

Rewritten by the layer build (devtools/localcloud/package.py, `make_lazy`): each name below is
imported from its submodule on first use instead of all of them with the package."""

import importlib

_SUBMODULE_OF = {where!r}
__all__ = {names!r}


def __getattr__(name):
    submodule, original = _SUBMODULE_OF.get(name, (None, None))
    if submodule is None:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    value = getattr(importlib.import_module(submodule), original)
    globals()[name] = value
    return value
'''


def make_lazy(site: Path, package: str) -> None:
    """Rewrite `package`'s `__init__.py` under `site` so that its names are imported on first use.

    Refuses (raises) an `__init__` that does anything but import names from submodules and list
    them: a new release that does more must be looked at before it is made lazy."""
    init = site.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(init.read_text())
    where: dict[str, tuple[str, str]] = {}  # name in the package -> (submodule, name there)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        module = None
        if isinstance(node, ast.ImportFrom) and node.module:
            module = f"{package}.{node.module}" if node.level == 1 else node.module if node.level == 0 else None
        if module and module.startswith(package + ".") and all(alias.name != "*" for alias in node.names):
            where.update({alias.asname or alias.name: (module, alias.name) for alias in node.names})
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            names = list(ast.literal_eval(node.value))
        else:
            raise RuntimeError(f"{init}: line {node.lineno} is not a submodule import: cannot make it lazy")
    init.write_text(_LAZY_INIT.format(doc=(ast.get_docstring(tree) or package).strip(), where=where,
                                      names=names or sorted(where)))


def _packaged_files(folder: Path) -> list[Path]:
    return [
        path for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not _SKIPPED.intersection(path.relative_to(folder).parts)
        and not path.name.startswith(".")
    ]


# folder → (what its files looked like, their zip): the dependencies layer is tens of MB and
# rarely changes, so a redeploy in the same process re-zips only what did change.
_zips: dict[tuple[Path, bool], tuple[tuple, bytes]] = {}
# The same, kept on disk for big folders: zipping the dependencies layer takes seconds, which
# every `make up` would pay again before finding that nothing changed.
ZIP_CACHE = BUILD / "zips"
_DISK_CACHED_FROM = 1_000_000  # bytes of zip


def ships_bytecode() -> bool:
    if sys.version_info[:2] == RUNTIME_PYTHON:
        return True
    print(f"warning: packaging with Python {sys.version_info.major}.{sys.version_info.minor}, not the "
          f"runtime's {RUNTIME_PYTHON[0]}.{RUNTIME_PYTHON[1]}: the zips carry no bytecode", file=sys.stderr)
    return False


def cached_bytecode_name(relative: Path) -> str:
    """Where the runtime's import looks for a module's bytecode: pkg/__pycache__/mod.cpython-312.pyc."""
    tag = f"cpython-{RUNTIME_PYTHON[0]}{RUNTIME_PYTHON[1]}"
    return (relative.parent / "__pycache__" / f"{relative.stem}.{tag}.pyc").as_posix()


def compile_sources(folder: Path, sources: list[Path]) -> dict[Path, bytes]:
    """Each source's bytecode (by its path), compiled in one child interpreter."""
    with tempfile.TemporaryDirectory() as scratch:
        jobs = [(str(path), str(Path(scratch) / f"{index}.pyc"), path.relative_to(folder).as_posix())
                for index, path in enumerate(sources)]
        subprocess.run([sys.executable, "-c", _COMPILER], input=json.dumps(jobs), text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
        return {Path(source): Path(target).read_bytes() for source, target, _ in jobs if Path(target).exists()}


def zip_folder(folder: Path, *, bytecode: bool = True) -> bytes:
    files = _packaged_files(folder)
    signature = (bytecode, *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    cached = _zips.get((folder, bytecode))
    if cached and cached[0] == signature:
        return cached[1]
    on_disk = ZIP_CACHE / f"{folder.name}-{hashlib.sha256(repr(signature).encode()).hexdigest()[:16]}.zip"
    if on_disk.exists():
        _zips[folder, bytecode] = (signature, on_disk.read_bytes())
        return on_disk.read_bytes()
    compiled = compile_sources(folder, [p for p in files if p.suffix == ".py"]) if bytecode and ships_bytecode() else {}
    entries = []
    for path in files:
        relative = path.relative_to(folder)
        entries.append((relative.as_posix(), path.read_bytes()))
        if path in compiled:
            entries.append((cached_bytecode_name(relative), compiled[path]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    _zips[folder, bytecode] = (signature, buffer.getvalue())
    if bytecode and len(buffer.getvalue()) >= _DISK_CACHED_FROM:  # only what a deploy ships
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
