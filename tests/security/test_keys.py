"""The purpose keys: derived from the one root secret, distinct, provisioned as files, rotated with the root.

Offline: the derivation, ops' provisioning of an instance's secrets folder and the operators' command.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flmnchll import keys
from ops import secrets as provisioning
from ops.instance import REPO


def test_each_purpose_has_its_own_key() -> None:
    """Threat model, row "Key separation": no two uses share a key, and none is the root itself."""
    root = "correct horse battery staple"
    derived = keys.derive_all(root, {})
    assert set(derived) == {"admin-task-key", "peer-token-key", "service-key", "turn-secret", "media-secret"}
    assert len(set(derived.values())) == len(derived)
    assert root not in derived.values()
    assert derived == keys.derive_all(root, {})  # the same root gives the same keys on every machine
    with pytest.raises(ValueError, match="unknown key purpose"):
        keys.derive(root, "anything-else")


def test_provisioning_derives_the_keys_and_rotates_them_with_the_root(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Threat model, row "Rotation": a new root gives every key anew; an old random key file is replaced."""
    for env_var in (*provisioning.GENERATED.values(), "TURN_SECRET", "MEDIA_SECRET"):
        monkeypatch.delenv(env_var, raising=False)
    (tmp_path / "media-secret").write_text("random-from-an-older-install")
    provisioning.ensure_secrets(tmp_path)
    root = (tmp_path / keys.ROOT).read_text()
    first = {name: (tmp_path / name).read_text() for name in keys.PURPOSES}
    assert first == keys.derive_all(root, {})
    for name in provisioning.SECRETS:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name

    monkeypatch.setenv("INTERNAL_API_SECRET", "a-new-root")
    monkeypatch.setenv("TURN_SECRET", "chosen-by-the-operator")
    provisioning.ensure_secrets(tmp_path)
    second = {name: (tmp_path / name).read_text() for name in keys.PURPOSES}
    assert second["turn-secret"] == "chosen-by-the-operator"
    assert all(second[name] != first[name] for name in keys.PURPOSES)
    assert second["admin-task-key"] == keys.derive("a-new-root", "admin-task-key")


def test_the_operators_command_gives_the_same_keys(tmp_path: Path) -> None:
    """Threat model, row "Rotation": production derives with `python -m flmnchll.keys`, as `make up` does."""
    root = "production-root-secret"
    env = {"PATH": "/usr/bin:/bin"}
    printed = subprocess.run([sys.executable, "-m", "flmnchll.keys"], input=root, capture_output=True, text=True,
                             cwd=REPO, env=env, check=True).stdout
    assert dict(line.split("=", 1) for line in printed.split()) == keys.derive_all(root, {})
    subprocess.run([sys.executable, "-m", "flmnchll.keys", "--out", str(tmp_path / "keys")], input=root, text=True,
                   cwd=REPO, env=env, check=True, capture_output=True)
    for name, value in keys.derive_all(root, {}).items():
        path = tmp_path / "keys" / name
        assert path.read_text() == value and stat.S_IMODE(path.stat().st_mode) == 0o600
    empty = subprocess.run([sys.executable, "-m", "flmnchll.keys"], input="", capture_output=True, text=True,
                           cwd=REPO, env=env, check=False)
    assert empty.returncode == 2 and "root secret on stdin" in empty.stderr
