"""`bandeau scan`: audit a site in a real browser, before a choice, after refusal and after
acceptance, and report what breaks the rules (docs/scanner.md).

The only part of bandeau that imports the browser driver (Playwright), installed with the
`scanner` extra. Modules:

- `browser`: Chromium started as a reader's browser would be (fresh profile per phase);
- `instrument`: what the browser did (requests, `Set-Cookie` headers, script writes, snapshots);
- `banners`: finding a consent banner and answering it (bandeau's API, a detector of our own);
- `visit`: the protocol of one phase (before / refuse / accept);
- `classify`: the purpose of each cookie, storage key and third-party host;
- `model`: the purpose learned from the cookie database the user passes (logistic regression);
- `accuracy`: how well purposes are named, on rows of that database held out from learning;
- `findings`: what the evidence breaks, with the requirement id;
- `report`: the JSON and HTML reports, and a starting policy;
- `crawl`: pages in parallel and the same-site crawl.
"""

from __future__ import annotations

from .errors import ScanError

__all__ = ["ScanError"]
