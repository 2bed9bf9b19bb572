"""Which secrets a piece of code reads, found in its source: the imports it follows and the reads it makes.

A read is a call of `flmnchll.config.read_secret` or `flmnchll.keys.read`, however imported, whose secret is
named by a string literal or a `flmnchll.keys` constant. A read whose secret cannot be told that way is an
error (so the lists cannot drift by a computed name). Two places are left out on purpose: `flmnchll/keys.py`
itself (its `read` is the reader every call site names), and functions called `main` (a module's command line,
run by operators, never by a function).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from flmnchll import keys

REPO = Path(__file__).resolve().parents[2]
READERS = {("flmnchll.config", "read_secret"), ("flmnchll.keys", "read")}
NOT_FUNCTION_CODE = {"main"}


class UnnamedSecret(AssertionError):
    """A read whose secret is not a literal or a flmnchll.keys constant."""


def module_file(module: str) -> Path | None:
    for candidate in (REPO / (module.replace(".", "/") + ".py"), REPO / module.replace(".", "/") / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class _Module:
    path: Path
    tree: ast.Module
    imports: set[str] = field(default_factory=set)  # flmnchll modules it imports, anywhere in the file
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, attribute)
    modules: dict[str, str] = field(default_factory=dict)  # local name -> module

    @classmethod
    def parse(cls, path: Path) -> _Module:
        module = cls(path, ast.parse(path.read_text(), str(path)))
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("flmnchll"):
                        module.imports.add(alias.name)
                        if alias.asname:
                            module.modules[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flmnchll") and node.level == 0:
                for alias in node.names:
                    local, full = alias.asname or alias.name, f"{node.module}.{alias.name}"
                    if module_file(full):
                        module.imports.add(full)
                        module.modules[local] = full
                    else:
                        module.imports.add(node.module)
                        module.names[local] = (node.module, alias.name)
        return module

    def _is_reader(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return self.names.get(func.id) in READERS
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return (self.modules.get(func.value.id), func.attr) in READERS
        return False

    def _secret_named(self, arg: ast.expr, where: str) -> str:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        constant = None
        if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
            if self.modules.get(arg.value.id) == "flmnchll.keys":
                constant = arg.attr
        elif isinstance(arg, ast.Name) and self.names.get(arg.id, ("", ""))[0] == "flmnchll.keys":
            constant = self.names[arg.id][1]
        if constant and isinstance(getattr(keys, constant, None), str):
            return getattr(keys, constant)
        raise UnnamedSecret(f"{where}: name the secret with a literal or a flmnchll.keys constant")

    def reads(self) -> set[str]:
        if self.path == module_file("flmnchll.keys"):
            return set()
        found: set[str] = set()

        def visit(node: ast.AST) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and child.name in NOT_FUNCTION_CODE:
                    continue
                if isinstance(child, ast.Call) and self._is_reader(child.func):
                    if not child.args:
                        raise UnnamedSecret(f"{self.path.relative_to(REPO)}:{child.lineno}: a read names no secret")
                    found.add(self._secret_named(child.args[0], f"{self.path.relative_to(REPO)}:{child.lineno}"))
                visit(child)

        visit(self.tree)
        return found


def secrets_read(entry: Path) -> dict[str, set[str]]:
    """Secret name -> the modules that read it, over everything `entry` imports from flmnchll, transitively."""
    seen: set[str] = set()
    result: dict[str, set[str]] = {}
    pending = [(str(entry.relative_to(REPO)), _Module.parse(entry))]
    while pending:
        name, module = pending.pop()
        for secret in module.reads():
            result.setdefault(secret, set()).add(name)
        for imported in module.imports - seen:
            seen.add(imported)
            path = module_file(imported)
            if path is not None:
                pending.append((imported, _Module.parse(path)))
    return result
