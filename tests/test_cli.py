"""The CLI: one clear line per failure, non-zero exits, settings parity with flags and env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bandeau.cli import cli, make_settings
from bandeau.settings import Settings

from .conftest import DEMO_POLICY


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bandeau", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
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
    bad = run("snippet", str(DEMO_POLICY), "--lang", "de")
    assert bad.returncode == 2
    assert "--lang de is not one of the policy's" in bad.stderr


def test_keys_show_and_rotate(tmp_path: Path) -> None:
    first = run("keys", "show", "--data-dir", str(tmp_path))
    assert first.returncode == 0 and "BEGIN PUBLIC KEY" in first.stdout
    kid = first.stdout.split()[3]
    rotated = run("keys", "rotate", "--data-dir", str(tmp_path))
    assert rotated.returncode == 0 and kid not in rotated.stdout
    again = run("keys", "show", "--data-dir", str(tmp_path))
    assert f"older key id: {kid}" in again.stdout
    key_file = tmp_path / "keys" / f"{kid}.pem"
    key_file.chmod(0o644)
    loose = run("keys", "show", "--data-dir", str(tmp_path))
    assert loose.returncode == 1 and f"chmod 600 {key_file}" in loose.stderr


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
