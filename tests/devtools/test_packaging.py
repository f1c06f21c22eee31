"""The local cloud packages the template like `sam package`: same code, same zip, same key."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from io import BytesIO

import boto3
import pytest
from moto import mock_aws

from devtools.localcloud import package
from devtools.localcloud.package import Packager, TemplateError, load_template, zip_folder
from devtools.localcloud.paths import TEMPLATE


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield boto3.client("s3")


def test_a_folder_zips_to_the_same_bytes_every_time_without_local_caches_or_tests(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "module.py").write_text("VALUE = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "module.cpython-312.pyc").write_bytes(b"\0")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    first = zip_folder(tmp_path)
    (tmp_path / "pkg" / "module.py").touch()  # a new mtime alone changes nothing
    assert zip_folder(tmp_path) == first
    package._zips.clear()  # and compiled again, in a new process: the same bytes
    assert zip_folder(tmp_path) == first
    shipped = zipfile.ZipFile(BytesIO(first))
    assert shipped.namelist() == ["pkg/__pycache__/module.cpython-312.pyc", "pkg/module.py"]
    assert shipped.read("pkg/__pycache__/module.cpython-312.pyc") != b"\0"  # ours, not the local one


def test_the_bytecode_shipped_is_used_by_the_runtime_without_compiling_again(tmp_path):
    """Unchecked hash-based bytecode: the zip's fixed timestamps cannot make it look stale."""
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "module.py").write_text("ORIGIN = 'source'\n")
    body = zip_folder(tmp_path / "src")
    shipped = tmp_path / "task"
    zipfile.ZipFile(BytesIO(body)).extractall(shipped)
    # Were the bytecode ignored, the changed source would be compiled and imported instead.
    (shipped / "pkg" / "module.py").write_text("ORIGIN = 'compiled again'\n")
    run = subprocess.run([sys.executable, "-B", "-c", "import pkg.module; print(pkg.module.ORIGIN)"],
                         cwd=shipped, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "source"


def test_every_code_folder_of_the_template_is_uploaded_once_and_rewritten_to_s3(s3, tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text("def handler(e, c): return 1\n")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    CodeUri: code\n"
        "Resources:\n"
        "  One:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: app.handler, Runtime: python3.12}\n"
        "  Two:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: code, Handler: app.handler, Runtime: python3.12}\n"
    )
    packager = Packager(s3, "artifacts", root=tmp_path)
    packager.ensure_bucket()
    template = packager.package(load_template(tmp_path / "template.yaml"))
    uri = template["Globals"]["Function"]["CodeUri"]
    assert uri.startswith("s3://artifacts/code-") and template["Resources"]["Two"]["Properties"]["CodeUri"] == uri
    assert len(s3.list_objects_v2(Bucket="artifacts")["Contents"]) == 1


def test_the_system_template_packages_every_function_and_layer(s3, monkeypatch):
    monkeypatch.setattr("devtools.localcloud.package.Packager.upload", lambda self, folder: f"s3://b/{folder.name}.zip")
    template = Packager(s3, "b").package(load_template(TEMPLATE))
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            assert properties["CodeUri"].startswith("s3://"), name
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            assert properties["ContentUri"].startswith("s3://"), name


def test_a_broken_template_is_reported_with_its_line(tmp_path):
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n   Properties: [\n")
    with pytest.raises(TemplateError, match=r"template.yaml, line \d+"):
        load_template(broken)


def test_a_big_folder_zipped_once_is_taken_from_disk_by_the_next_run_until_a_file_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "ZIP_CACHE", tmp_path / "zips")
    monkeypatch.setattr(package, "_DISK_CACHED_FROM", 0)
    folder = tmp_path / "dependencies"
    folder.mkdir()
    (folder / "lib.py").write_text("VALUE = 1\n")
    first = zip_folder(folder)
    package._zips.clear()  # as in a new `make up`
    monkeypatch.setattr(package.zipfile, "ZipFile", None)  # zipping again would fail
    assert zip_folder(folder) == first
    monkeypatch.undo()
    monkeypatch.setattr(package, "ZIP_CACHE", tmp_path / "zips")
    monkeypatch.setattr(package, "_DISK_CACHED_FROM", 0)
    (folder / "lib.py").write_text("VALUE = 22\n")
    package._zips.clear()
    changed = zip_folder(folder)
    assert zipfile.ZipFile(BytesIO(changed)).read("lib.py") == b"VALUE = 22\n"
    assert len(list((tmp_path / "zips").glob("dependencies-*.zip"))) == 1  # the stale one is gone


def _package_with_two_submodules(site):
    pkg = site / "toolkit" / "handlers"
    pkg.mkdir(parents=True)
    (site / "toolkit" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text('"""Handlers."""\n\nfrom toolkit.handlers.http import HttpHandler\n'
                                     'from toolkit.handlers.heavy import HeavyHandler as Heavy\n'
                                     'from .kinds import JSON\n\n'
                                     '__all__ = ["HttpHandler", "Heavy", "JSON"]\n')
    (pkg / "http.py").write_text("class HttpHandler:\n    pass\n")
    (pkg / "heavy.py").write_text("import json  # stands for an expensive import\n\nclass HeavyHandler:\n    pass\n")
    (pkg / "kinds.py").write_text("JSON = 'application/json'\n")


def test_a_lazy_package_imports_only_the_submodule_whose_name_is_used(tmp_path):
    _package_with_two_submodules(tmp_path)
    package.make_lazy(tmp_path, "toolkit.handlers")
    script = ("import sys\n"
              "from toolkit.handlers import HttpHandler\n"
              "from toolkit.handlers import kinds\n"  # a submodule, imported by name as before
              "import toolkit.handlers as handlers\n"
              "assert 'toolkit.handlers.heavy' not in sys.modules, 'imported with the package'\n"
              "assert handlers.Heavy.__name__ == 'HeavyHandler' and kinds.JSON == 'application/json'\n"
              "assert sorted(handlers.__all__) == ['Heavy', 'HttpHandler', 'JSON'] and handlers.JSON == kinds.JSON\n"
              "print('toolkit.handlers.heavy' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-B", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True"  # imported once its name was asked for


def test_a_package_whose_init_does_more_than_import_is_not_made_lazy(tmp_path):
    _package_with_two_submodules(tmp_path)
    init = tmp_path / "toolkit" / "handlers" / "__init__.py"
    init.write_text(init.read_text() + "REGISTRY = {}\n")
    with pytest.raises(RuntimeError, match="not a submodule import"):
        package.make_lazy(tmp_path, "toolkit.handlers")
    assert "REGISTRY" in init.read_text()  # left as it was
