"""What a receipt file must hold before anything in it is believed: its shape, parsed strictly.

A receipt comes from outside (the reader keeps it, an auditor is handed it), so `bandeau
verify-receipt` and `ledger.verify_receipt` read it as hostile input: every field has its JSON
type (no `true` for a number, no number for a string), integers are bounded, lists and strings
are short, and the record has exactly the fields a record has. Anything else is a ValueError
naming the first field that is wrong, which the caller reports on one line.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import MISSING, dataclass, fields
from typing import Annotated, Any, Final, TypeVar, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from .store import Record

__all__ = ["RECEIPT_FORMAT", "ParsedReceipt", "ReceiptIn", "parse_receipt", "read_receipt_json"]

RECEIPT_FORMAT: Final = "bandeau-receipt/v1"
MAX_INDEX: Final = 2**63 - 1  # a log position as the stores keep it (BIGINT)
HASH_B64: Final = 44  # 32 bytes in base64
STRICT: Final = ConfigDict(strict=True, extra="forbid")


def _base64(text: str) -> str:
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    return text


Hash = Annotated[str, Field(max_length=HASH_B64), AfterValidator(_base64)]
Signature = Annotated[str, Field(max_length=128), AfterValidator(_base64)]


class CheckpointIn(BaseModel):
    model_config = STRICT
    size: int = Field(ge=1, le=MAX_INDEX)
    root: Hash
    time: int = Field(ge=0, le=MAX_INDEX)
    key_id: str = Field(max_length=128)
    signature: Signature


def _record_model() -> type[BaseModel]:
    """The record's content fields with their declared types (`store.Record`), strictly."""
    hints = get_type_hints(Record)
    spec: dict[str, Any] = {}
    for f in fields(Record):
        if f.name in ("seq", "retry_hash"):
            continue  # not content: never in a receipt
        if f.default is not MISSING:
            default: Any = f.default
        elif f.default_factory is not MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        spec[f.name] = (hints[f.name], default)
    return create_model("RecordIn", __config__=STRICT, **spec)


RecordIn: Final[type[BaseModel]] = _record_model()


class ReceiptIn(BaseModel):
    """A receipt (docs/ledger.md), as `Ledger.receipt` writes it."""

    model_config = ConfigDict(strict=True, extra="ignore")
    format: str  # RECEIPT_FORMAT, checked first
    record: dict[str, Any]  # checked against RecordIn
    index: int = Field(ge=0, le=MAX_INDEX)
    prev_leaf: Hash
    leaf: Hash
    proof: list[Hash] = Field(max_length=64)  # a tree of 2^63 leaves needs 63 hashes
    checkpoint: CheckpointIn


@dataclass(frozen=True)
class ParsedReceipt:
    receipt: ReceiptIn
    record: Record


def parse_receipt(data: object) -> ParsedReceipt:
    """The receipt in `data` (parsed JSON); ValueError naming the first wrong field."""
    if not isinstance(data, dict):
        raise ValueError("a receipt is a JSON object")
    if data.get("format") != RECEIPT_FORMAT:
        raise ValueError(f"not a bandeau receipt (format {str(data.get('format'))[:40]!r})")
    receipt = _validated(ReceiptIn, data, "")
    record = _validated(RecordIn, receipt.record, "record.")
    return ParsedReceipt(receipt, Record(**record.model_dump()))


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: object, prefix: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = prefix + ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{where or 'receipt'}: {message}") from None


def read_receipt_json(raw: bytes) -> object:
    """A receipt file's bytes as parsed JSON; ValueError saying why not (not UTF-8, not JSON,
    nested too deep for the parser)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise ValueError("not a receipt: JSON nested too deep") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise ValueError(f"not a receipt: {e}") from None
