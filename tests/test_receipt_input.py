"""`bandeau verify-receipt` on hostile input (issue 8, item 11): a receipt comes from outside,
so every malformed one exits 1 with one clear line on stderr, never a traceback (PROOF-01)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bandeau.cli import main
from bandeau.keys import KeyRing
from bandeau.ledger import Ledger
from bandeau.store import open_store

from .store.conftest import make_record


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """A receipt the ledger made, and the file of the public key that verifies it."""
    keys = KeyRing.generate()
    store = open_store("sqlite://")
    ledger = Ledger(store, keys)
    records = [make_record(f"c-{i}") for i in range(5)]
    ledger.append_batch(records)
    ledger.checkpoint()
    receipt = ledger.receipt(records[2].decision_id)
    store.close()
    key = tmp_path_factory.mktemp("key") / "key.pem"
    key.write_text(keys.current.pem())
    return receipt, key


def run_cli(tmp_path: Path, receipt: bytes, key: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    path = tmp_path / "receipt.json"
    path.write_bytes(receipt)
    with pytest.raises(SystemExit) as exit_info:
        main(["verify-receipt", str(path), "--public-key", str(key)])
        raise SystemExit(0)
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_the_genuine_receipt_verifies(
    genuine: tuple[dict[str, Any], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, key = genuine
    code, out, err = run_cli(tmp_path, json.dumps(receipt).encode(), key, capsys)
    assert (code, err) == (0, "") and out.startswith("valid: decision ")


def changed(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    """Set the field at dotted `path` to `value` (or delete it when value is DELETE)."""

    def change(receipt: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        node = receipt
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
        return receipt

    return change


DELETE = object()
DEEP = 100_000

HOSTILE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "array": lambda r: [r],
    "number": lambda r: 7,
    "null": lambda r: None,
    "no format": changed("format", DELETE),
    "another format": changed("format", "bandeau-receipt/v9"),
    "format as a list": changed("format", ["bandeau-receipt/v1"]),
    "index as text": changed("index", "2"),
    "index true": changed("index", True),
    "index float": changed("index", 2.0),
    "index negative": changed("index", -1),
    "index 2^64": changed("index", 2**64),
    "index 1e400": lambda r: json.dumps(r).replace('"index": 2', '"index": 1e400'),
    "index NaN": lambda r: json.dumps(r).replace('"index": 2', '"index": NaN'),
    "index of 5000 digits": lambda r: json.dumps(r).replace('"index": 2', '"index": ' + "9" * 5000),
    "no index": changed("index", DELETE),
    "proof as text": changed("proof", "abc"),
    "proof of numbers": changed("proof", [1, 2]),
    "proof of 10000 hashes": changed("proof", ["A" * 44] * 10_000),
    "proof not base64": changed("proof", ["!!!"]),
    "prev_leaf not base64": changed("prev_leaf", "%%%"),
    "prev_leaf huge": changed("prev_leaf", "A" * 1_000_000),
    "leaf a number": changed("leaf", 12),
    "checkpoint null": changed("checkpoint", None),
    "checkpoint size text": changed("checkpoint.size", "5"),
    "checkpoint size 0": changed("checkpoint.size", 0),
    "checkpoint size 2^70": changed("checkpoint.size", 2**70),
    "checkpoint signature a list": changed("checkpoint.signature", []),
    "checkpoint root not base64": changed("checkpoint.root", "@@"),
    "record null": changed("record", None),
    "record a list": changed("record", []),
    "record missing a field": changed("record.event", DELETE),
    "record with a field too many": changed("record.seq", 3),
    "record choices as text": changed("record.choices", "all"),
    "record choice as 1": changed("record.choices.social", 1),
    "record client_time true": changed("record.client_time", True),
    "record site a number": changed("record.site", 5),
    "record choices nested 500 deep": changed("record.choices", json.loads("[" * 500 + "]" * 500)),
    "record nested 100000 deep": lambda r: json.dumps(r).replace(
        '"choices": {', '"choices": ' + "[" * DEEP + "]" * DEEP + ', "x": {'
    ),
    "nested 100000 deep": lambda r: "[" * DEEP + "]" * DEEP,
    "not JSON": lambda r: "{nope",
    "empty": lambda r: "",
    "not UTF-8": lambda r: b"\xff\xfe" + json.dumps(r).encode("utf-16-le"),
    "latin-1 text": lambda r: (
        json.dumps(r, ensure_ascii=False).replace("c-2", "c-\xe9").encode("latin-1")
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_malformed_receipt_is_one_line_and_exit_1(
    name: str,
    genuine: tuple[dict[str, Any], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receipt, key = genuine
    made = HOSTILE[name](copy.deepcopy(receipt))
    raw = made if isinstance(made, bytes) else (made if isinstance(made, str) else json.dumps(made))
    data = raw if isinstance(raw, bytes) else raw.encode()
    code, out, err = run_cli(tmp_path, data, key, capsys)
    assert code == 1, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bandeau: error: "), err
    assert "Traceback" not in err and len(lines[0]) < 400


def test_deep_nesting_in_a_separate_process(
    genuine: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """As a user runs it: the 100,000-deep receipt of the issue, and a key file that is no text."""
    _, key = genuine
    deep = tmp_path / "deep.json"
    deep.write_text("[" * DEEP + "]" * DEEP)
    binary_key = tmp_path / "key.bin"
    binary_key.write_bytes(b"\xff\x00\xfe" * 10)
    for receipt, public in ((deep, key), (deep, binary_key)):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bandeau",
                "verify-receipt",
                str(receipt),
                "--public-key",
                str(public),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("bandeau: error: ") and "Traceback" not in result.stderr
