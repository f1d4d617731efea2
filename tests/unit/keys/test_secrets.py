from pathlib import Path

import pytest

from mailvault import execute
from mailvault.actions.engine import password_env
from mailvault.errors import SecretError
from mailvault.keys.secrets import SecretSource, generate_password, resolve


def _secret_file(path: Path, value: str, mode: int = 0o600) -> Path:
    path.write_text(value + "\n")
    path.chmod(mode)
    return path


def test_file_command_env_and_inline_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import SecretStr

    assert resolve(SecretSource("x", file=_secret_file(tmp_path / "k", "file-secret-1"))) == "file-secret-1"
    assert resolve(SecretSource("x", command="printf 'cmd-secret-2\\n'")) == "cmd-secret-2"
    monkeypatch.setenv("MV_TEST_SECRET", "env-secret-3")
    assert resolve(SecretSource("x", env="MV_TEST_SECRET")) == "env-secret-3"
    assert resolve(SecretSource("x", inline=SecretStr("inline-secret-4"))) == "inline-secret-4"
    assert execute.mask("file-secret-1 cmd-secret-2 env-secret-3 inline-secret-4") == "*** *** *** ***"


def test_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = SecretSource("repository.password", credential="repository-key")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(SecretError, match=r"\$CREDENTIALS_DIRECTORY is not set") as info:
        resolve(source)
    assert "LoadCredential=repository-key:" in info.value.one_line()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    _secret_file(tmp_path / "repository-key", "cred-secret-5", mode=0o400)
    assert resolve(source) == "cred-secret-5"
    # restic reads the credential file itself: the value never enters an environment
    assert password_env(source) == {"RESTIC_PASSWORD_FILE": str(tmp_path / "repository-key")}


def test_bad_sources_name_the_source_not_the_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretError, match=r"x file .*/missing does not exist"):
        resolve(SecretSource("x", file=tmp_path / "missing"))
    shared = _secret_file(tmp_path / "shared", "world-readable-6", mode=0o644)
    with pytest.raises(SecretError, match=r"readable by others \(mode 0644\)") as info:
        resolve(SecretSource("x", file=shared))
    assert "world-readable-6" not in info.value.one_line()
    monkeypatch.delenv("MV_UNSET", raising=False)
    with pytest.raises(SecretError, match="environment variable MV_UNSET is not set"):
        resolve(SecretSource("x", env="MV_UNSET"))
    with pytest.raises(SecretError, match="is empty"):
        resolve(SecretSource("x", file=_secret_file(tmp_path / "empty", "")))
    folder = tmp_path / "a-dir"
    folder.mkdir(mode=0o700)
    with pytest.raises(SecretError, match=r"x file .*/a-dir is a directory, not a file"):
        resolve(SecretSource("x", file=folder))
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe")
    binary.chmod(0o600)
    with pytest.raises(SecretError, match="is not UTF-8 text"):
        resolve(SecretSource("x", file=binary))


def test_generated_password_is_strong_and_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "sub" / "repository.key"
    generate_password(key)
    first = key.read_text()
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(first.strip()) >= 40
    with pytest.raises(SecretError, match="never overwritten"):
        generate_password(key)
    assert key.read_text() == first


def test_a_command_is_asked_once_even_by_two_threads_at_once(tmp_path: Path) -> None:
    import threading

    calls = tmp_path / "calls"
    source = SecretSource("x", command=f"sleep 0.3; echo asked >> {calls}; echo pw-{tmp_path.name}")
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(resolve(source))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [f"pw-{tmp_path.name}"] * 2 and calls.read_text().count("asked") == 1
