"""The ICB pack: static HTML pages, one per footprint ICB and one for the footprint, with the
Making Data Count charts an ICB's finance and BI teams read (docs/icb-pack.md).

`write_pack(published, icbs, out)` reads the published warehouse (marts, dq, reference; opened
read-only), takes each mart's rows as the footprint's extract takes them (small numbers
suppressed the same way) and writes `index.html` (the footprint) and `<ICB>.html` into `out`.
"""

from __future__ import annotations

from speccomm.pack.write import PackWritten, pack_command, write_pack

__all__ = ["PackWritten", "pack_command", "write_pack"]
