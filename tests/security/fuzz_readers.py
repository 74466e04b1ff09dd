"""Coverage-guided fuzzing of the readers with atheris (not collected by pytest: run it by hand or in a job).

    python tests/security/fuzz_readers.py -atheris_runs=20000 [corpus_dir]

Each input is read both as an .xlsx upload (zip checks, then the limited parsing process) and as a CSV sheet.
A crash is any exception leaving `read_workbook`; the script prints how many inputs it tried and how many crashed.
The corpus starts from the tiny workbooks of the test suite.
"""

from __future__ import annotations

import atexit
import io
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    from matcher.io import spec
    from matcher.io.readers import read_workbook

COUNTS = {"inputs": 0, "crashes": 0}
CSV_DIR = Path(tempfile.mkdtemp(prefix="matcher-fuzz-"))


def one_input(data: bytes) -> None:
    COUNTS["inputs"] += 1
    try:
        read_workbook(io.BytesIO(data), spec.CASES, label="upload.xlsx")
        (CSV_DIR / "cases.csv").write_bytes(data)
        read_workbook(CSV_DIR, spec.CASES)
    except Exception:
        COUNTS["crashes"] += 1
        raise


def _seed_corpus(folder: Path) -> None:
    from workbooks import TINY_CASES, write_csv_dir, write_xlsx

    folder.mkdir(parents=True, exist_ok=True)
    write_xlsx(folder / "cases.xlsx", TINY_CASES)
    (folder / "cases.csv").write_bytes((write_csv_dir(folder / "csv", TINY_CASES) / "cases.csv").read_bytes())


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = Path(tempfile.mkdtemp(prefix="matcher-corpus-"))
        _seed_corpus(corpus)
        args.append(str(corpus))
    atexit.register(lambda: print(f"fuzz_readers: {COUNTS['inputs']} inputs, {COUNTS['crashes']} crashes",
                                  file=sys.stderr))
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
