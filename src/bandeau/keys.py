"""The server's Ed25519 signing keys: made when the server first starts, kept owner-only,
rotatable.

Layout of the key folder: one `<key id>.pem` (PKCS#8 private key, mode 0600) per key ever made,
and `current` naming the key that signs now. Old keys stay so that what they signed still
verifies by key id. A key id is the first 16 hex digits of SHA-256 of the raw public key.

Each site has a ring of its own in `sites/<site>/` under the key folder (`site_folder`): it
signs that site's consent tokens and countersigns its receipts, so that nothing one site signed
verifies on another. The ring at the top of the folder is the log's: it signs the checkpoints of
the decision log, which all the sites of a server share.

Only the server makes a first key (`KeyRing.open_or_create`, called by `bandeau serve` and
`bandeau demo`, for the log and for each site they serve); everything else opens an existing
ring (`KeyRing.open`) and fails when there is none, so that a command run against the wrong
folder says so instead of printing, or signing with, a key the server never used.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import SettingsError

__all__ = ["KeyRing", "PublicKey", "key_id_of", "site_folder"]


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def site_folder(keys_dir: Path, site: str) -> Path:
    """The folder of `site`'s own ring under the key folder `keys_dir`."""
    return keys_dir / "sites" / site


@dataclass(frozen=True)
class PublicKey:
    """A verifying key and its id; all a verifier (middleware, offline tools) needs."""

    key_id: str
    key: Ed25519PublicKey

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        """Read a key from PEM, or from base64 of the 32 raw bytes."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                loaded = serialization.load_pem_public_key(text.encode())
                if not isinstance(loaded, Ed25519PublicKey):
                    raise SettingsError("the public key is not an Ed25519 key")
                key = loaded
            else:
                key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
        except (ValueError, TypeError) as e:
            raise SettingsError(
                "cannot read the public key",
                hint="give the PEM printed by `bandeau keys show` or base64 of 32 raw bytes",
            ) from e
        return cls(key_id_of(key), key)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def raw_b64(self) -> str:
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


class KeyRing:
    """Signing key of the server plus every older public key, loaded from a folder."""

    def __init__(self, current: Ed25519PrivateKey, public: dict[str, PublicKey]) -> None:
        self._private = current
        self.current = PublicKey(key_id_of(current.public_key()), current.public_key())
        self.public = {**public, self.current.key_id: self.current}

    @classmethod
    def generate(cls) -> KeyRing:
        """An in-memory ring (tests, throwaway servers)."""
        return cls(Ed25519PrivateKey.generate(), {})

    @classmethod
    def open(cls, folder: Path) -> KeyRing:
        """Load the ring kept in `folder`; never makes a key.

        Raises `SettingsError` naming the folder when it holds no ring."""
        if not (folder / "current").exists():
            raise SettingsError(
                f"no signing key in {folder}",
                hint="check --data-dir (BANDEAU_DATA_DIR): the server makes its first key when "
                "`bandeau serve` (or `bandeau demo`) starts on that folder",
            )
        return cls._load(folder)

    @classmethod
    def open_or_create(cls, folder: Path) -> KeyRing:
        """Load the ring from `folder`, making the folder and a first key when absent.

        For the server's own start only (`bandeau serve`, `bandeau demo`)."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (folder / "current").exists():
            cls._write_new(folder)
        return cls._load(folder)

    @classmethod
    def rotate(cls, folder: Path) -> KeyRing:
        """Make a new signing key in an existing ring; old ones stay to verify what they signed.

        A folder without a ring is an error (as for `open`): a rotation never makes the first
        key, which would otherwise be a key no server has used, in a folder no server reads."""
        cls.open(folder)
        cls._write_new(folder)
        return cls._load(folder)

    @staticmethod
    def _write_new(folder: Path) -> None:
        key = Ed25519PrivateKey.generate()
        kid = key_id_of(key.public_key())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = folder / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        tmp = folder / "current.tmp"
        tmp.write_text(kid + "\n")
        os.replace(tmp, folder / "current")

    @classmethod
    def _load(cls, folder: Path) -> KeyRing:
        kid = (folder / "current").read_text().strip()
        public: dict[str, PublicKey] = {}
        current: Ed25519PrivateKey | None = None
        for pem_path in sorted(folder.glob("*.pem")):
            if pem_path.stat().st_mode & 0o077:
                raise SettingsError(
                    f"signing key {pem_path} can be read by other users",
                    hint=f"run `chmod 600 {pem_path}`",
                )
            key = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise SettingsError(f"{pem_path} is not an Ed25519 private key")
            pk = PublicKey(key_id_of(key.public_key()), key.public_key())
            public[pk.key_id] = pk
            if pk.key_id == kid:
                current = key
        if current is None:
            raise SettingsError(
                f"the current key {kid!r} named in {folder / 'current'} is missing",
                hint="restore its .pem file or run `bandeau keys rotate`",
            )
        return cls(current, public)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def raw(self) -> tuple[bytes, dict[str, bytes]]:
        """The current private key's 32 raw bytes and every public key's, by key id: what the
        log's writer process is handed (through its socket, never a file, its command line or
        its environment) to sign tokens and read them as this ring does (`from_raw`)."""
        private = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        public = {
            kid: pk.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            for kid, pk in self.public.items()
        }
        return private, public

    @classmethod
    def from_raw(cls, private: bytes, public: dict[str, bytes]) -> KeyRing:
        """The ring that `raw` gave."""
        keys = {
            kid: PublicKey(kid, Ed25519PublicKey.from_public_bytes(raw))
            for kid, raw in public.items()
        }
        return cls(Ed25519PrivateKey.from_private_bytes(private), keys)
