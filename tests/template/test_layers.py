"""Each function is given the layers its code imports from, and no other.

A new execution environment unpacks every layer it has: a consumer given the PDF fonts and
cryptography would pay for them at each scale-out, and a function missing a layer fails on its
first request that needs it. What a handler imports is read from its source (every `import`,
those inside functions too), following the modules of its code folder and of `shared/`.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
from functools import cache
from pathlib import Path

import pytest

from devtools.localcloud.package import OPTIONAL_LAYERS
from devtools.localcloud.paths import ROOT


@pytest.fixture(scope="module")
def functions(cloudformation) -> dict[str, dict]:
    """Logical id → the function's properties after the SAM transform (Globals' layers merged)."""
    return {name: resource["Properties"] for name, resource in cloudformation["Resources"].items()
            if resource["Type"] == "AWS::Lambda::Function"}


def _layer_names(template: dict) -> dict[str, str]:
    """LayerVersion logical id → its folder under .build/layers ('documents', ...)."""
    return {name: Path(resource["Properties"]["ContentUri"]).name for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::LayerVersion"}


def _modules_of(requirements: Path) -> set[str]:
    """The top-level modules the distributions a requirements file pins provide."""
    wanted = {re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
              for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")}
    return {module for module, distributions in importlib.metadata.packages_distributions().items()
            if any(d.lower().replace("_", "-") in wanted for d in distributions)}


def _module_file(name: str, roots: list[Path]) -> Path | None:
    for root in roots:
        path = root.joinpath(*name.split("."))
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


@cache
def _imported_names(source: Path) -> tuple[str, ...]:
    """Every absolute module name a file imports (and `package.name` for `from package import name`)."""
    names = []
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: the caller resolves it against the file's package
                base = "." * node.level + base
            names.append(base)
            names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    return tuple(names)


def _third_party_imports(handler_module: str, code: Path) -> set[str]:
    """Top-level names of every module outside the code folder and shared/ the handler reaches."""
    roots = [code, ROOT]  # ROOT holds shared/
    seen, outside, todo = set(), set(), [handler_module]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module, roots)
        if path is None:
            continue
        own_package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for name in _imported_names(path):
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                parent = own_package.rsplit(".", level - 1)[0] if level > 1 else own_package
                name = f"{parent}.{name.lstrip('.')}".rstrip(".")
            top = name.split(".")[0]
            if _module_file(top, roots) is not None:
                todo.append(name)
            elif name:
                outside.add(top)
    return outside


def test_every_function_has_the_optional_layers_it_imports_from_and_no_other(sam_template, functions):
    layer_folders = _layer_names(sam_template)
    provided = {folder: _modules_of(requirements) for folder, requirements in OPTIONAL_LAYERS.items()}
    assert all(provided.values()), "each optional layer provides some module"
    wrong = {}
    for name, properties in functions.items():
        code = ROOT / sam_template["Resources"][name]["Properties"]["CodeUri"]
        handler_module = properties["Handler"].rsplit(".", 1)[0]
        imported = _third_party_imports(handler_module, code)
        # The transform names each layer version after its logical id and a hash of its content.
        given = {layer_folders[re.sub(r"[0-9a-f]{10}$", "", ref["Ref"])] for ref in properties.get("Layers", [])}
        needed = {folder for folder, modules in provided.items() if modules & imported}
        if given & set(OPTIONAL_LAYERS) != needed:
            wrong[name] = {"given": sorted(given & set(OPTIONAL_LAYERS)), "imports need": sorted(needed)}
    assert not wrong


def test_the_import_reading_sees_a_function_local_import():
    """The documents are imported inside the route that renders them: the reading must see it."""
    intake = ROOT / "services" / "intake"
    assert "reportlab" in _third_party_imports("intake.handlers.api", intake)
    assert "reportlab" not in _third_party_imports("intake.handlers.consumer", intake)
