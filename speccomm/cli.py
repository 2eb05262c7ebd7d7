"""The `speccomm` command line (the contract's stable interface)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from speccomm.config import ENGINES, BadWarehouseName, Paths, resolve_paths

SCALES = ("demo", "pathfinder", "national")


class _Parser(argparse.ArgumentParser):
    """With `shows_exit_status`, the help ends with the nightly's exit statuses
    (speccomm.nightly.EXIT_STATUS, imported only when help is printed: parsing a command does
    not need the nightly's imports)."""

    shows_exit_status = False

    def format_help(self) -> str:
        if not self.shows_exit_status:
            return super().format_help()
        from speccomm.nightly import EXIT_STATUS

        code_width = max(len(str(code)) for code in EXIT_STATUS)
        lines = self._get_formatter()._width - code_width - 4
        rows = "\n".join(
            textwrap.fill(meaning, max(lines, 40), initial_indent=f"  {code:>{code_width}}  ",
                          subsequent_indent=" " * (code_width + 4))
            for code, meaning in EXIT_STATUS.items()
        )
        return f"{super().format_help()}\nexit status of speccomm nightly (docs/operations.md):\n{rows}\n"


def _parser() -> argparse.ArgumentParser:
    # raw: the one-line --version text is not wrapped
    parser = _Parser(prog="speccomm", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.shows_exit_status = True
    parser.add_argument("--version", action="version", version=version_text(),
                        help="show speccomm's version and those of dbt and DuckDB, and exit")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a synthetic landing folder to the contract")
    gen.add_argument("--scale", choices=SCALES, required=True,
                     help="demo (minutes to build), pathfinder or national (hours, gigabytes)")
    gen.add_argument("--out", type=Path, required=True, help="the landing folder to write")
    gen.add_argument("--seed", type=int, default=42, help="the same seed writes the same files (42)")

    _add_nightly(commands)

    rollback = commands.add_parser("rollback", help="publish the previous warehouse version again")
    _add_location_options(rollback)

    runs = commands.add_parser("runs", help="show the run log (latest first)")
    _add_location_options(runs)
    runs.add_argument("--last", type=int, default=10, help="how many runs to show (10)")

    export = commands.add_parser("export", help="write the published marts (schemas marts, dq) as files")
    _add_location_options(export)
    export.add_argument(
        "--format", choices=("parquet", "csv", "xlsx"), default="parquet",
        help="parquet: one file per table; csv: the same as CSV; xlsx: one Excel workbook, a sheet per table",
    )
    export.add_argument("--out", type=Path, required=True,
                        help="the folder to write: new or empty, or any with --force")
    export.add_argument("--force", action="store_true",
                        help="write into a folder that holds files, replacing those of the same names")
    export.add_argument(
        "--table", action="append", default=[], metavar="NAME",
        help="only this table (name or schema.name; repeatable); default every table of marts and dq",
    )
    export.add_argument(
        "--icb", action="append", default=[], metavar="CODE",
        help="a footprint ICB (repeatable): its rows only, suppressed as extracts are; without --icb or"
        " --footprint the export is unsuppressed and marked NOT FOR SHARING",
    )
    export.add_argument("--footprint", help="a named footprint of reference.footprints (adds its ICBs)")

    extract = commands.add_parser("extract", help="a footprint's rows of every fact and mart, suppressed")
    _add_location_options(extract)
    extract.add_argument("--icb", action="append", default=[], help="an ICB of the footprint (repeatable)")
    extract.add_argument("--footprint", help="a named footprint of reference.footprints (adds its ICBs)")
    extract.add_argument(
        "--suppress-up-to", type=int, help="withhold counts 1..N ($SPECCOMM_SUPPRESS_UP_TO; 7)"
    )
    extract.add_argument("--round-to", type=int, help="round other counts to N ($SPECCOMM_ROUND_TO, 5)")
    extract.add_argument("--out", type=Path, required=True, help="the DuckDB file to write (a new file)")
    extract.add_argument("--force", action="store_true",
                         help="replace an existing extract at --out (and its _parquet folder and manifest)")

    pack = commands.add_parser("pack", help="write the ICB pack: HTML pages of charts and tables, offline")
    _add_location_options(pack)
    pack.add_argument("--icb", action="append", required=True, help="an ICB of the pack (repeatable)")
    pack.add_argument("--out", type=Path, required=True, help="the folder to write index.html and <ICB>.html")

    resend = commands.add_parser(
        "resend", help="settle a report whose send was interrupted: queue it again, or record it delivered"
    )
    _add_location_options(resend)
    resend.add_argument("message_key", help="the key the nightly summary lists as UNCONFIRMED")
    resend.add_argument("--delivered", action="store_true", help="it did arrive: record it as sent")

    docs = commands.add_parser("docs", help="build the dbt docs site")
    docs.add_argument("--warehouse", type=Path,
                      help="the published warehouse whose build (build.duckdb beside it) to document "
                      "(default: the published one)")
    docs.add_argument("--fresh", action="store_true", help="build an empty warehouse instead of using one")
    docs.add_argument("--out", type=Path, help="site folder (default target/docs)")
    return parser


def _add_nightly(commands: argparse._SubParsersAction) -> None:
    nightly = commands.add_parser("nightly", help="load, build, check, report, deliver, publish")
    nightly.shows_exit_status = True
    _add_location_options(nightly)
    nightly.add_argument(
        "--outbox", type=Path, help="where reports go as .eml files without SMTP settings ($SPECCOMM_OUTBOX)"
    )
    nightly.add_argument(
        "--revalidate-all",
        action="store_true",
        help="re-run every data-quality check, not only on the slices whose data changed",
    )
    sending = nightly.add_mutually_exclusive_group()
    sending.add_argument(
        "--send-only-changed", dest="send_only_changed", action="store_true", default=True,
        help="email a provider only when its own results changed since its last report (the default)",
    )
    sending.add_argument(
        "--send-all", dest="send_only_changed", action="store_false",
        help="email every provider whose report changed in any way (e.g. only the peer medians moved)",
    )
    nightly.add_argument("--force", action="store_true", help="build even when nothing new has arrived")
    nightly.add_argument(
        "--keep-versions", type=_at_least_one, help="published versions to keep ($SPECCOMM_KEEP_VERSIONS, 3)"
    )
    nightly.add_argument("--verbose", action="store_true", help="echo every dbt line")
    nightly.add_argument(
        "--engine", choices=ENGINES, default="duckdb",
        help="where dbt builds: duckdb (the default) or spark (the profile's spark target; the "
        '".[spark]" extra and Java 17, docs/scale-out.md)',
    )
    nightly.add_argument(
        "--footprint",
        help="the ICBs this warehouse serves: comma-separated ICB codes or 'national' "
        "($SPECCOMM_FOOTPRINT; default QKK,QWE from dbt_project.yml)",
    )


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("keep at least one version")
    return value


def _add_location_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--landing", type=Path, help="the landing folder ($SPECCOMM_LANDING; data/landing)")
    sub.add_argument(
        "--warehouse", type=Path,
        help="the published DuckDB file ($SPECCOMM_WAREHOUSE; warehouse/speccomm.duckdb)",
    )


def version_text() -> str:
    """speccomm's version, with the dbt and DuckDB it runs on (what a bug report needs)."""
    parts = []
    for package in ("speccomm", "dbt-core", "dbt-duckdb", "duckdb"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} (not installed)")
    return f"{parts[0]} ({', '.join(parts[1:])}; Python {sys.version.split()[0]})"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "generate":
        from speccomm.generate import generate

        generate(scale=args.scale, out=args.out, seed=args.seed)
        return 0
    if args.command == "docs":
        from speccomm.dbt_runner.docs import build_docs
        from speccomm.state import StateLayout

        # the build file beside the published one: the catalog then lists every relation
        warehouse = None if args.fresh else StateLayout.of(_paths(parser, args)).state_source()
        return build_docs(args.out, warehouse=warehouse)
    return _run_warehouse_command(args, _paths(parser, args))


def _paths(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Paths:
    try:
        return resolve_paths(
            landing=getattr(args, "landing", None),
            warehouse=getattr(args, "warehouse", None),
            outbox=getattr(args, "outbox", None),
        )
    except BadWarehouseName as exc:
        parser.error(str(exc))  # exits 2, as for any other usage error


def _run_warehouse_command(args: argparse.Namespace, paths: Paths) -> int:
    if args.command == "nightly":
        from speccomm.footprint import UnknownFootprint, resolve_footprint
        from speccomm.nightly import run_nightly
        from speccomm.state import StateLayout

        try:
            kept = StateLayout.of(paths).kept_reference_dir
            footprint = resolve_footprint(args.footprint, paths.landing, kept)
        except UnknownFootprint as exc:
            print(f"speccomm nightly: not started: {exc}", file=sys.stderr)
            return 2
        return run_nightly(
            paths,
            revalidate_all=args.revalidate_all,
            send_only_changed=args.send_only_changed,
            force=args.force,
            keep=args.keep_versions,
            verbose=args.verbose,
            footprint=footprint,
            engine=args.engine,
        )
    if args.command == "rollback":
        from speccomm.publish import rollback

        return rollback(paths)
    if args.command == "runs":
        from speccomm.runlog import print_runs

        return print_runs(paths, last=args.last)
    if args.command == "export":
        from speccomm.publish import export_parquet

        return export_parquet(
            paths, args.out.resolve(), args.format, tables=args.table,
            icbs=args.icb, footprint=args.footprint, force=args.force,
        )
    if args.command == "pack":
        from speccomm.pack import pack_command

        return pack_command(paths, args.icb, args.out.resolve())
    if args.command == "resend":
        from speccomm.delivery import resend
        from speccomm.state import StateLayout

        try:
            print(resend(StateLayout.of(paths).delivery_db, args.message_key, delivered=args.delivered))
        except KeyError as exc:
            print(f"speccomm resend: {exc.args[0]}", file=sys.stderr)
            return 1
        return 0
    if args.command == "extract":
        from speccomm.publish import extract_icb
        from speccomm.publish.suppression import Suppression

        if not args.icb and not args.footprint:
            print("speccomm extract: name at least one --icb CODE or a --footprint NAME", file=sys.stderr)
            return 2
        try:
            suppression = Suppression.configured(args.suppress_up_to, args.round_to)
        except ValueError as exc:
            print(f"speccomm extract: {exc}", file=sys.stderr)
            return 2
        return extract_icb(paths, args.icb, args.out.resolve(),
                           footprint=args.footprint, suppression=suppression, force=args.force)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
