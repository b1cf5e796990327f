"""The CLI: one clear line per failure, non-zero exits, settings parity with flags and env."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bandeau.cli import cli, make_settings
from bandeau.settings import Settings

from .conftest import DEMO_POLICY
from .served import bandeau_serve


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bandeau", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def test_check_prints_purposes_and_digests(policy_text: str) -> None:
    r = run("check", str(DEMO_POLICY))
    assert r.returncode == 0, r.stderr
    assert "site lequotidien" in r.stdout
    assert "advertising" in r.stdout and "consent" in r.stdout


def test_bad_policy_is_one_clear_error(tmp_path: Path, policy_text: str) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text(policy_text.replace("reprompt_after_days = 183", "reprompt_after_days = 500"))
    r = run("check", str(bad))
    assert r.returncode == 1 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith(f"bandeau: error: {bad}:10: reprompt_after_days")


def test_missing_policy_file(tmp_path: Path) -> None:
    r = run("check", str(tmp_path / "nope.toml"))
    assert r.returncode == 1 and "cannot read the policy file" in r.stderr


def test_serve_without_policy_is_a_usage_error() -> None:
    r = run("serve")
    assert r.returncode == 2 and r.stderr.startswith("bandeau: error: give at least one --policy")


def test_unknown_command() -> None:
    r = run("frobnicate")
    assert r.returncode == 2 and "No such command" in r.stderr


def test_snippet() -> None:
    r = run("snippet", str(DEMO_POLICY), "--url", "https://consent.example.fr/", "--lang", "en")
    assert r.returncode == 0
    js = "https://consent.example.fr/v1/sites/lequotidien/banner.js?lang=en&amp;v="
    assert f'<link rel="preload" as="script" href="{js}' in r.stdout
    assert f'<script src="{js}' in r.stdout
    assert "data-bandeau-open>Manage cookies</a>" in r.stdout
    bad = run("snippet", str(DEMO_POLICY), "--lang", "it")
    assert bad.returncode == 2
    assert "--lang it is not one of the policy's" in bad.stderr


def test_commands_read_the_folder_the_server_wrote(tmp_path: Path, policy_text: str) -> None:
    """BANDEAU_DATA_DIR alone names the folder, for `serve` and every other command alike:
    `keys show` prints the key the server signs with, the proof commands read its log."""
    data = tmp_path / "data"
    env = {"BANDEAU_DATA_DIR": str(data)}
    with bandeau_serve(tmp_path, policy_text, "--rate-limit", "0", env=env) as served:
        conn = served.connect()
        current = served.get(conn, "/v1/keys")["current"]
        status, decision = served.decide(conn)
        assert status == 201, decision
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = run("keys", "show", cwd=elsewhere, env=env)
    assert shown.returncode == 0 and f"current key id: {current}" in shown.stdout, shown.stderr
    assert run("verify", cwd=elsewhere, env=env).stdout.endswith("the log verifies\n")
    exported = run("export", served.policy.site, decision["consent_id"], cwd=elsewhere, env=env)
    assert decision["decision_id"] in exported.stdout, exported.stderr
    checkpoint = run("checkpoint", cwd=elsewhere, env=env)
    assert f"key {current}" in checkpoint.stdout, checkpoint.stderr
    rotated = run("keys", "rotate", cwd=elsewhere, env=env)
    assert rotated.returncode == 0 and current not in rotated.stdout
    again = run("keys", "show", "--data-dir", str(data), cwd=elsewhere)
    assert f"older key id: {current}" in again.stdout
    assert list(elsewhere.iterdir()) == []  # nothing made in the working folder
    key_file = data / "keys" / f"{current}.pem"
    key_file.chmod(0o644)
    loose = run("keys", "show", "--data-dir", str(data))
    assert loose.returncode == 1 and f"chmod 600 {key_file}" in loose.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["keys", "show"],
        ["keys", "rotate"],
        ["verify"],
        ["checkpoint"],
        ["export", "lequotidien", "consent-1"],
        ["erase", "lequotidien", "consent-1"],
        ["purge", "--older-than", "1"],
    ],
)
@pytest.mark.parametrize("given_as", ["flag", "environment"])
def test_a_folder_without_a_server_is_an_error_not_a_new_key(
    tmp_path: Path, command: list[str], given_as: str
) -> None:
    """Only `serve` and `demo` make keys and databases: elsewhere an empty (or wrong) data
    folder is one clear error naming it, and it stays empty."""
    empty = tmp_path / "empty"
    empty.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    if given_as == "flag":
        r = run(*command, "--data-dir", str(empty), cwd=cwd)
    else:
        r = run(*command, cwd=cwd, env={"BANDEAU_DATA_DIR": str(empty)})
    assert r.returncode == 1 and r.stdout == "", r.stdout
    [line] = r.stderr.splitlines()
    assert line.startswith("bandeau: error: no ") and str(empty) in line, line
    assert "`bandeau serve`" in line
    assert list(empty.iterdir()) == [] and list(cwd.iterdir()) == []


def test_every_data_dir_flag_is_the_setting() -> None:
    """Every command that reads the data folder takes it as `serve` does: --data-dir, else
    BANDEAU_DATA_DIR, else the default, resolved by Settings (no default of its own)."""

    def walk(group: click.Group) -> Iterator[click.Command]:
        for command in group.commands.values():
            yield command
            if isinstance(command, click.Group):
                yield from walk(command)

    takers = set()
    for command in walk(cli):
        for param in command.params:
            if param.name in ("data_dir", "database"):
                assert param.default is None, (command.name, param.name)
                assert f"BANDEAU_{param.name.upper()}" in str(getattr(param, "help", ""))
                takers.add(command.name)
    assert takers == {
        "demo",
        "serve",
        "verify",
        "checkpoint",
        "export",
        "notices",
        "erase",
        "purge",
        "show",
        "rotate",
    }


def test_a_bad_trusted_proxy_is_a_usage_error() -> None:
    r = run("serve", "--policy", str(DEMO_POLICY), "--trusted-proxies", "10.0.0.1, 10.0.0.1/8")
    assert r.returncode == 2 and "--trusted-proxies or BANDEAU_TRUSTED_PROXIES" in r.stderr


def test_every_setting_is_a_serve_flag() -> None:
    """Flags, env variables and Settings fields are one set (STYLE 6)."""
    serve = cli.commands["serve"]
    flags = {p.name for p in serve.params}
    assert flags == set(Settings.model_fields)
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    for name in Settings.model_fields:
        assert f"--{name.replace('_', '-')}" in help_text
        assert f"BANDEAU_{name.upper()}" in help_text


def test_flag_beats_env_and_env_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDEAU_PORT", "9001")
    monkeypatch.setenv("BANDEAU_PUBLIC_URL", "https://c.example.fr")
    s = make_settings({"port": None, "host": "0.0.0.0", "policy": ()})
    assert (s.port, s.host, s.base_url) == (9001, "0.0.0.0", "https://c.example.fr")
    assert make_settings({"port": 9002}).port == 9002
    monkeypatch.delenv("BANDEAU_PORT")
    assert make_settings({}).port == 8000


def test_invalid_setting_is_a_usage_error() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "bandeau", "serve", "--policy", str(DEMO_POLICY)],
        capture_output=True,
        text=True,
        env={**os.environ, "BANDEAU_PORT": "99999"},
        check=False,
        timeout=60,
    )
    assert r.returncode == 2 and "port" in r.stderr
