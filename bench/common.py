"""Shared pieces of the benchmarks: realistic records, quick log building, table printing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from bandeau.store import Record, Store

PURPOSES = {
    "audience": "0f8c2f27a21f51b8",
    "social": "08e18adfd470341b",
    "advertising": "6170b18e35d49c21",
}


def records(n: int, start: int = 0) -> Iterator[Record]:
    """`n` decisions shaped like the demo's (same fields and sizes as real ones)."""
    for i in range(start, start + n):
        granted = i % 3 == 0
        yield Record(
            decision_id=str(uuid.uuid4()),
            consent_id=uuid.uuid4().hex[:22],
            site="lequotidien",
            occurred_at=1_780_000_000_000 + i,
            event="accept_all" if granted else "refuse_all",
            layer="first",
            control="accept_all" if granted else "refuse_all",
            language="fr",
            page="/2026/11/29/la-saone-deborde",
            policy_version="e679a10ad8b88d55",
            build="5b0c1f3e9a7d2c44",
            shown=dict(PURPOSES),
            choices={"audience": True, "social": granted, "advertising": granted},
            services={
                "social/Telegram": granted,
                "social/Boutons de partage": granted,
                "advertising/Régie Exemple": granted,
            },
            signals={"gpc": False},
            ua_class="chrome/linux",
            client_time=1_780_000_000_000 + i,
        )


def fill(store: Store, n: int, batch: int = 5000) -> None:
    done = store.count()
    while done < n:
        take = min(batch, n - done)
        store.append_batch(list(records(take, done)))
        done += take


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header)), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title]
    for k, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
