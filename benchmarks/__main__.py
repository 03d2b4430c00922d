"""``make bench``: run every benchmark and print one table of ratios against same-run baselines."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from benchmarks._common import Row, Skipped

MODULES = (
    "benchmarks.bench_api",
    "benchmarks.bench_sandbox",
    "benchmarks.bench_gui",
    "benchmarks.bench_stream",
    "benchmarks.bench_package",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("-k", default="", help="run only benchmarks whose name contains this")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    skipped: list[str] = []
    failures = 0
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        for bench in module.BENCHMARKS:
            if args.k and args.k not in bench.__name__:
                continue
            print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
            try:
                result = bench()
            except Skipped as exc:
                print(f"skipped {bench.__name__}: {exc}", file=sys.stderr)
                skipped.append(f"{bench.__name__}: {exc}")
                continue
            except Exception:
                failures += 1
                traceback.print_exc()
                continue
            rows.extend(result if isinstance(result, list) else [result])
    _print_table(rows)
    for line in skipped:
        print(f"skipped {line}")
    return 1 if failures else 0


def _print_table(rows: list[Row]) -> None:
    headers = ("measurement", "value", "baseline", "ratio", "aim")
    lines = [
        (
            row.name,
            f"{row.value:,.2f} {row.unit}",
            f"{row.baseline:,.2f} {row.unit}",
            f"{row.ratio:.2f}",
            row.aim,
        )
        for row in rows
    ]
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
