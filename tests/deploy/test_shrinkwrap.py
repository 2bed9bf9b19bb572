"""`faas-cli build --shrinkwrap` makes, for every function, a build context holding all its handler imports.

Imports are walked with `ast` from the handler through every first-party module it reaches (including imports
inside functions, which run later but still must resolve). First-party modules must be files in the context;
third-party ones must be installed by the context's requirements (the function's and the template's, with
their dependencies); the rest must be the standard library. A second check resolves first-party imports the way
the image will: from the folders on the image's PYTHONPATH, after the Dockerfile's COPY steps.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import REPO, run_faas_cli, stack_copy

FUNCTIONS = sorted(yaml.safe_load((REPO / "stack.yml").read_text())["functions"])


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = stack_copy(tmp_path_factory.mktemp("shrinkwrap"))
    answer = run_faas_cli(["build", "--shrinkwrap", "-f", "stack.yml"], work)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return work / "build"


def module_file(roots: list[Path], name: str) -> Path | None:
    parts = name.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        if base.is_dir() and len(parts) == 1:  # namespace package
            return base
    return None


def imports_of(path: Path, module: str, is_package: bool) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved against `module`)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                name = f"{prefix}.{node.module}" if node.module else prefix
            else:
                name = node.module or ""
            found.add(name)
            # `from pkg import sub` may name a submodule
            found.update(f"{name}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def walk(roots: list[Path], start: str) -> tuple[set[str], set[str]]:
    """(first-party modules reached, top-level names that are not files in roots)."""
    seen: set[str] = set()
    outside: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(roots, name)
        if path is None:
            top = name.split(".")[0]
            if module_file(roots, top) is None:
                outside.add(top)
            continue  # `from pkg import function_name`: not a module
        seen.add(name)
        if path.is_file():
            todo.extend(imports_of(path, name, path.name == "__init__.py"))
    return seen, outside


def requirement_names(path: Path) -> set[str]:
    names = set()
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                names.add(normalize(re.split(r"[=<>!~\[; ]", line)[0]))
    return names


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def dependencies(dist: str) -> frozenset[str]:
    """A distribution and everything it installs (unconditional requirements only)."""
    try:
        requires = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return frozenset({dist})
    result = {dist}
    for requirement in requires:
        if "extra ==" in requirement:
            continue
        result |= dependencies(normalize(re.split(r"[=<>!~\[; (]", requirement)[0]))
    return frozenset(result)


def installed_by(requirements: set[str]) -> set[str]:
    closed: set[str] = set()
    for dist in requirements:
        closed |= dependencies(dist)
    return closed


def context_roots(context: Path) -> list[Path]:
    """Everything the context holds, wherever the Dockerfile puts it."""
    return [context / "function", context / "shared", context]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_context_holds_every_import(contexts: Path, name: str) -> None:
    context = contexts / name
    assert (context / "Dockerfile").is_file() and (context / "function" / "handler.py").is_file()
    roots = context_roots(context)
    modules, outside = walk(roots, "function.handler")
    outside -= {"function"}
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    third_party = outside - stdlib
    provided = metadata.packages_distributions()
    wanted = requirement_names(context / "requirements.txt") | requirement_names(
        context / "function" / "requirements.txt") | requirement_names(context / "shared" / "requirements.txt")
    installed = installed_by(wanted)
    missing = []
    for top in sorted(third_party):
        dists = {normalize(dist) for dist in provided.get(top, [])}
        if not dists:
            missing.append(f"{top} (neither a file in the context nor an installed distribution)")
        elif not dists & installed:
            missing.append(f"{top} (from {', '.join(sorted(dists))}; not in the context's requirements)")
    assert not missing, f"{name}: imports not satisfied by its build context: {missing}"
    if any(m.startswith("flmnchll") for m in modules):
        assert (context / "function" / "flmnchll" / "__init__.py").is_file() or (
            context / "shared" / "flmnchll" / "__init__.py").is_file()


def image_roots(context: Path) -> list[Path]:
    """The context folders that land on the image's sys.path: the script's folder and PYTHONPATH entries.

    The template copies index.py and shared/* to /home/app and function/ to /home/app/function.
    """
    text = (context / "Dockerfile").read_text()
    match = re.search(r"PYTHONPATH=(\S+)", text)
    entries = ["/home/app", *(match.group(1).split(":") if match else [])]
    roots: list[Path] = []
    for entry in entries:
        if entry == "/home/app":
            roots += [context, context / "shared"]
        elif entry.startswith("/home/app/function"):
            roots.append(context / "function" / entry.removeprefix("/home/app/function").lstrip("/"))
    return roots


@pytest.mark.parametrize("name", ["signup", "content", "room"])
def test_image_python_path_reaches_copied_packages(contexts: Path, name: str) -> None:
    context = contexts / name
    everything, _ = walk(context_roots(context), "function.handler")
    reachable, _ = walk(image_roots(context) + [context], "function.handler")
    assert everything <= reachable, f"unreachable in the image: {sorted(everything - reachable)}"
