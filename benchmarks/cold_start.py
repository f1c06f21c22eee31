"""Cold start of each handler, as shipped: its import by a fresh interpreter from the deployed zips.

    .venv/bin/python -m benchmarks.cold_start [rounds] [--only IntakeApiFunction]

The layers and code folders are zipped exactly as a deploy zips them
(`devtools.localcloud.package.zip_folder`) and extracted the way Lambda lays them out: the
function's code first on `sys.path`, then each layer's `python/`, then the runtime's own
packages (boto3). Each handler module is imported by a new interpreter that cannot write
bytecode (`-B`: Lambda's /var/task and /opt are read-only), with the environment the template
gives the function. The reference is a bare `import boto3; boto3.client("dynamodb")` in the
same interpreter with the same paths. Rounds are interleaved and the figures are medians.

The same is measured from zips without bytecode (what was shipped before), in the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from devtools.localcloud import package
from devtools.localcloud.paths import LAYERS, ROOT

TIMED_IMPORT = ("import time; started = time.perf_counter(); {statement}; "
                "print((time.perf_counter() - started) * 1000)")
REFERENCE = 'import boto3; boto3.client("dynamodb")'


def functions(template: dict) -> dict[str, tuple[str, str, dict[str, str], list[str]]]:
    """Logical id → (code folder, handler module, environment with placeholder values, the
    folders of its layers under .build/layers, in the order Lambda stacks them)."""
    found = {}
    defaults = {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}

    def value(key: str, given) -> str:
        if isinstance(given, str):
            return given
        if isinstance(given, dict) and given.get("Ref") in defaults:
            return defaults[given["Ref"]]
        return f"placeholder-{key.lower()}"

    globals_ = template.get("Globals", {}).get("Function", {})
    common = globals_.get("Environment", {}).get("Variables", {})
    layer_folders = {name: Path(r["Properties"]["ContentUri"]).name for name, r in template["Resources"].items()
                     if r["Type"] == "AWS::Serverless::LayerVersion"}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        variables = {**common, **properties.get("Environment", {}).get("Variables", {})}
        environment = {key: value(key, given) for key, given in variables.items()}
        # SAM appends a function's own Layers to the Globals' ones.
        layers = [layer_folders[ref["Ref"]] for ref in globals_.get("Layers", []) + properties.get("Layers", [])]
        found[name] = (properties["CodeUri"], properties["Handler"].rsplit(".", 1)[0], environment, layers)
    return found


def extract(body: bytes, into: Path) -> Path:
    into.mkdir(parents=True)
    zipfile.ZipFile(io.BytesIO(body)).extractall(into)
    return into


def lay_out(root: Path, folders: set[str], layers: set[str], *, bytecode: bool) -> dict[str, Path]:
    """Every zip a deploy ships, extracted under root: each layer's folder and each CodeUri."""
    zipped = {}
    for name in layers:
        zipped[name] = package.zip_folder(LAYERS / name, bytecode=bytecode)
    for folder in folders:
        zipped[folder] = package.zip_folder(ROOT / folder, bytecode=bytecode)
    return {name: extract(body, root / name.replace("/", "_")) for name, body in zipped.items()}


def timed(python: str, statement: str, paths: list[Path], environment: dict[str, str]) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(map(str, paths)),
           "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_LAMBDA_FUNCTION_NAME": "cold-start", **environment}
    # -P: `-c` would otherwise put the current folder (the checkout, with its own shared/ and
    # __pycache__) ahead of the zips, and the checkout's modules would be measured instead.
    run = subprocess.run([python, "-B", "-P", "-c", TIMED_IMPORT.format(statement=statement)], env=env,
                         capture_output=True, text=True, check=False)
    if run.returncode:
        raise RuntimeError(f"{statement} failed:\n{run.stderr[-2000:]}")
    return float(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=7)
    parser.add_argument("--only", help="one function's logical id")
    args = parser.parse_args()
    # The interpreter the local cloud runs functions with: the runtime's Python, with boto3.
    python = str(ROOT / ".venv-localcloud" / "bin" / "python")
    package.build_layers()
    every = functions(package.load_template())
    chosen = {k: v for k, v in every.items() if not args.only or k == args.only}
    with tempfile.TemporaryDirectory() as scratch:
        every_layer = {layer for _, _, _, layers in chosen.values() for layer in layers}
        layouts = {shipped: lay_out(Path(scratch) / ("with" if shipped else "without"),
                                    {code for code, _, _, _ in chosen.values()}, every_layer, bytecode=shipped)
                   for shipped in (True, False)}
        times: dict[tuple[str, bool], list[float]] = {}
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr, flush=True)
            for shipped, layout in layouts.items():
                # The reference imports boto3 from the same paths as the functions that have
                # only the two common layers.
                common = [layout["dependencies"] / "python", layout["shared"] / "python"]
                times.setdefault(("reference", shipped), []).append(timed(python, REFERENCE, common, {}))
                for name, (code, module, environment, layers) in chosen.items():
                    # Lambda unpacks every layer into one /opt/python: none of ours overlap.
                    paths = [layout[code], *(layout[layer] / "python" for layer in layers)]
                    times.setdefault((name, shipped), []).append(timed(python, f"import {module}", paths, environment))
    median = {key: statistics.median(values) for key, values in times.items()}
    print(f"\nmedians over {args.rounds} rounds; reference: {REFERENCE}")
    print(f"{'function':32} {'bytecode shipped':>18} {'ratio':>6}   {'no bytecode':>12} {'ratio':>6}")
    print(f"{'reference':32} {median['reference', True]:15.0f} ms {'1.00':>6}   "
          f"{median['reference', False]:9.0f} ms {'1.00':>6}")
    for name in chosen:
        after, before = median[name, True], median[name, False]
        print(f"{name:32} {after:15.0f} ms {after / median['reference', True]:6.2f}   "
              f"{before:9.0f} ms {before / median['reference', False]:6.2f}")
    worst = max(median[name, True] / median["reference", True] for name in chosen)
    print(f"\nworst ratio, as shipped: {worst:.2f} (goal ≤ 1.50)")


if __name__ == "__main__":
    main()
