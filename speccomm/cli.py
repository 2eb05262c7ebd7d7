"""The `speccomm` command line (the contract's stable interface)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from speccomm.config import resolve_paths

SCALES = ("demo", "pathfinder", "national")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="speccomm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a synthetic landing folder to the contract")
    gen.add_argument("--scale", choices=SCALES, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=42)

    nightly = commands.add_parser("nightly", help="load, build, check, report, deliver, publish")
    _add_location_options(nightly)
    nightly.add_argument("--outbox", type=Path)
    nightly.add_argument(
        "--revalidate-all",
        action="store_true",
        help="re-run every data-quality check, not only on the slices whose data changed",
    )
    nightly.add_argument(
        "--send-only-changed",
        action="store_true",
        help="email a provider only when its results changed since its last report",
    )

    rollback = commands.add_parser("rollback", help="publish the previous warehouse version again")
    _add_location_options(rollback)

    export = commands.add_parser("export", help="write the published marts as files")
    _add_location_options(export)
    export.add_argument("--format", choices=("parquet",), default="parquet")
    export.add_argument("--out", type=Path, required=True)

    extract = commands.add_parser("extract", help="one ICB's rows of every fact and mart")
    _add_location_options(extract)
    extract.add_argument("--icb", required=True)
    extract.add_argument("--out", type=Path, required=True)

    docs = commands.add_parser("docs", help="build the dbt docs site")
    docs.add_argument("--out", type=Path)
    return parser


def _add_location_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--landing", type=Path)
    sub.add_argument("--warehouse", type=Path)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate":
        from speccomm.generate import generate

        generate(scale=args.scale, out=args.out, seed=args.seed)
        return 0
    paths = resolve_paths(
        landing=getattr(args, "landing", None),
        warehouse=getattr(args, "warehouse", None),
        outbox=getattr(args, "outbox", None),
    )
    if args.command == "nightly":
        from speccomm.nightly import run_nightly

        return run_nightly(
            paths,
            revalidate_all=args.revalidate_all,
            send_only_changed=args.send_only_changed,
        )
    if args.command == "rollback":
        from speccomm.publish import rollback

        return rollback(paths)
    if args.command == "export":
        from speccomm.publish import export_parquet

        return export_parquet(paths, args.out)
    if args.command == "extract":
        from speccomm.publish import extract_icb

        return extract_icb(paths, args.icb.strip().upper(), args.out)
    if args.command == "docs":
        from speccomm.build import build_docs

        return build_docs(args.out)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
