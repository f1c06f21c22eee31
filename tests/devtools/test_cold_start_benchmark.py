"""The cold-start benchmark measures the modules of the zips, never the checkout's own copies."""

from __future__ import annotations

import os
import sys

from benchmarks import cold_start
from devtools.localcloud.paths import ROOT


def test_a_timed_import_finds_shared_in_the_paths_given_not_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("FROM = 'the layer'\n")
    monkeypatch.chdir(ROOT)  # the checkout, whose shared/ a bare `python -c` would import first
    assert (ROOT / "shared" / "__init__.py").exists()
    milliseconds = cold_start.timed(
        sys.executable, "import shared; assert shared.FROM == 'the layer', shared.__file__", [tmp_path], {})
    assert milliseconds >= 0


def test_the_functions_of_the_template_are_measured_with_their_parameters_defaults_and_layers():
    every = cold_start.functions(cold_start.package.load_template())
    assert "IntakeApiFunction" in every and "PartnerAuthorizerFunction" in every
    code, module, environment, layers = every["PartnerAuthorizerFunction"]
    assert (code, module) == ("gateway", "partner_authorizer")
    assert layers == ["dependencies", "shared", "tokens"]  # the Globals' two, then its own
    assert every["RefurbConsumerFunction"][3] == ["dependencies", "shared"]
    assert all(isinstance(value, str) for value in environment.values())
    assert os.sep not in module
