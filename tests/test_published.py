"""Checkpoints published outside the database (issue 8): each signed checkpoint is appended to
the `checkpoint_log` file, and `bandeau verify --checkpoints FILE` checks the log against it, so
deleting recent records together with their checkpoints is caught. And the settings parity:
every setting is a flag, an environment variable and a row of docs/cli.md."""

from __future__ import annotations

import json
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest

from bandeau.cli import cli
from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, LogDoesNotVerify, checkpoint_json
from bandeau.settings import Settings
from bandeau.store import open_store

from .store.conftest import make_record
from .test_durability import bandeau

ROOT = Path(__file__).parents[1]


def make_log(data: Path, published: Path) -> Ledger:
    """12 records in data/bandeau.db, checkpoints at 6 and 12, both published."""
    keys = KeyRing.open_or_create(data / "keys")
    ledger = Ledger(open_store(f"sqlite:///{data / 'bandeau.db'}"), keys, published=published)
    for _ in range(2):
        ledger.append_batch([make_record(f"c{i}") for i in range(6)])
        ledger.checkpoint()
    return ledger


def test_each_checkpoint_is_appended_to_the_file(tmp_path: Path) -> None:
    published = tmp_path / "checkpoints.jsonl"
    ledger = make_log(tmp_path / "data", published)
    lines = published.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        checkpoint_json(c) for c in ledger.store.checkpoints()
    ]
    assert stat.S_IMODE(published.stat().st_mode) == 0o600
    ledger.store.close()


def test_deleting_recent_records_with_their_checkpoints_is_caught(tmp_path: Path) -> None:
    data, published = tmp_path / "data", tmp_path / "checkpoints.jsonl"
    make_log(data, published).store.close()
    db = sqlite3.connect(data / "bandeau.db", isolation_level=None)
    for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DELETE FROM decisions WHERE seq > 6")
    db.execute("DELETE FROM nodes WHERE (idx + 1) << level > 6")
    db.execute("DELETE FROM checkpoints WHERE size > 6")
    db.close()
    alone = bandeau("verify", "--data-dir", str(data))
    assert alone.returncode == 0, alone.stderr  # the database's own checkpoints cannot tell
    checked = bandeau("verify", "--data-dir", str(data), "--checkpoints", str(published))
    assert checked.returncode == 1
    assert (
        "published checkpoint of size 12 covers records beyond the end of the log (6 records): "
        "records were deleted from the end" in checked.stderr
    )
    assert "first bad index 6" in checked.stderr
    # and the signer, told where the checkpoints are published, signs nothing more
    ledger = Ledger(
        open_store(f"sqlite:///{data / 'bandeau.db'}"),
        KeyRing.open(data / "keys"),
        published=published,
    )
    ledger.append_batch([make_record()])
    with pytest.raises(LogDoesNotVerify, match=r"published checkpoints .* go up to size 12"):
        ledger.checkpoint()
    ledger.store.close()
    refused = bandeau("checkpoint", "--data-dir", str(data), "--checkpoint-log", str(published))
    assert refused.returncode == 1
    assert "bandeau: error: refusing to sign a checkpoint at size 12" in refused.stderr


def test_verify_names_a_bad_line_of_the_file(tmp_path: Path) -> None:
    data, published = tmp_path / "data", tmp_path / "checkpoints.jsonl"
    make_log(data, published).store.close()
    with published.open("a") as f:
        f.write('{"size": "many"}\n')
    r = bandeau("verify", "--data-dir", str(data), "--checkpoints", str(published))
    assert r.returncode == 1
    assert r.stderr.strip().startswith(f"bandeau: error: {published}, line 3: not a checkpoint")


def test_the_checkpoint_command_publishes_too(tmp_path: Path) -> None:
    data, published = tmp_path / "data", tmp_path / "checkpoints.jsonl"
    ledger = make_log(data, published)
    ledger.append_batch([make_record()])
    ledger.store.close()
    r = bandeau("checkpoint", "--data-dir", str(data), "--checkpoint-log", str(published))
    assert r.returncode == 0, r.stderr
    assert json.loads(published.read_text().splitlines()[-1])["size"] == 13


CLI_DOC = (ROOT / "docs" / "cli.md").read_text()


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_a_flag_a_variable_and_a_documented_row(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings parity (STYLE 6): `--name` on `bandeau serve`, `BANDEAU_NAME` read by
    Settings, and a row of the settings table in docs/cli.md naming all three."""
    flag = "--" + name.replace("_", "-")
    serve = cli.commands["serve"]
    assert any(flag in p.opts for p in serve.params)  # type: ignore[attr-defined]
    rows = [line for line in CLI_DOC.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, name
    assert f"`{flag}" in rows[0] and f"`BANDEAU_{name.upper()}`" in rows[0]
    env = f"BANDEAU_{name.upper()}"
    samples: dict[str, str] = {
        "policy": '["a.toml"]',
        "data_dir": "elsewhere",
        "database": "sqlite:///x.db",
        "host": "127.0.0.2",
        "port": "8123",
        "public_url": "https://consent.example",
        "max_body_bytes": "20000",
        "workers": "3",
        "checkpoint_interval": "7.5",
        "retention_days": "30",
        "admin_token": uuid.uuid4().hex,
        "rate_limit": "7",
        "trusted_proxies": "10.0.0.1",
        "checkpoint_log": "published.jsonl",
        "header_timeout": "3.5",
        "body_timeout": "4.5",
        "log_level": "debug",
        "log_writer": "thread",
    }
    assert name in samples, f"give {name} a sample value in this test"
    monkeypatch.setenv(env, samples[name])
    value = getattr(Settings(), name)
    assert value != Settings.model_fields[name].default, (name, value)
    assert str(samples[name]).strip('[]"') in str(value) or str(value) in samples[name]
