"""The one settings loader and secret reader every process uses (process_settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from process_settings import SecretNameError, env_float, env_int, env_path, env_str, read_secret


def test_a_secret_is_read_without_its_newline_and_a_missing_one_is_none(tmp_path: Path) -> None:
    (tmp_path / "media-secret").write_text("s3cr3t\n")
    assert read_secret(tmp_path, "media-secret") == "s3cr3t"
    assert read_secret(tmp_path, "service-key") is None


@pytest.mark.parametrize("name", ["../media-secret", "/etc/passwd", "Media", "", "a/b"])
def test_a_name_that_could_leave_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(SecretNameError, match="invalid secret name"):
        read_secret(tmp_path / "secrets", name)


def test_unset_and_empty_take_the_default_and_a_bad_number_names_its_variable(tmp_path: Path) -> None:
    env = {"PORT": " 8080 ", "EMPTY": "", "RATIO": "0.5", "BROKEN": "ten", "DIR": str(tmp_path)}
    assert env_int("PORT", 1, env) == 8080
    assert env_int("EMPTY", 7, env) == 7 and env_str("UNSET", "x", env) == "x"
    assert env_float("RATIO", 1.0, env) == 0.5
    assert env_path("DIR", Path("/nowhere"), env) == tmp_path.resolve()
    with pytest.raises(ValueError, match="BROKEN must be an integer, got 'ten'"):
        env_int("BROKEN", 1, env)
