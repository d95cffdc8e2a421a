"""Report figures of a city-month on PostgreSQL, each beside its baseline from the same run.
One JSON object per line.

    .venv/bin/python bench/report_bench.py --db URL [--requests 20] [--city-baseline-requests 3]
        [--offices 126 --days 22 --tickets 500 --seed 20261202]

The database gets the city-month of bench/city_month_data.py (126 offices × 22 days × 500
tickets: 1.4 million tickets) unless it already holds that many tickets. A real
`python -m central serve` on 127.0.0.1 answers, with a viewer token of one office, what its
report page computes for a month: the service report and the satisfaction report (with its
consent figures) by day, one request after the other; a sample is the pair, `--requests`
samples after two to warm up, their p95 against the target of 200 ms. With a city token, the
city view of the month (every office side by side and the city's total), `--requests` samples
the same way, against 2 s.

The baseline is the same requests to the server as it was before the reports were made fast
(BASELINE, a commit of this repository, run from a copy of its files), on the same database
without the indexes revision 0007 added (dropped for it, and made again after): that server
reads the ticket changes to find each ticket's first call, where this one reads the column
the fold keeps. The database records the baseline's revision while its server runs (it
refuses a database of a revision it does not know), then this one's again. The baseline's city
view runs the office reports once per office (about a minute each here): it is sampled
`--city-baseline-requests` times (default 3) after one to warm up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from sqlalchemy import Index, func, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import city_month_data as city  # noqa: E402

from central.db import Database  # noqa: E402
from central.enrolment import create_city_token, create_viewer_token  # noqa: E402
from central.offices import clean_label, set_office_labels  # noqa: E402
from central.schema import metadata, tickets  # noqa: E402
from common.office_clock import aware_now  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

# main before this work was merged: its reports (with the city view, the service report's
# shares) as they were.
BASELINE = "df55912"
REPORT_INDEXES = {
    "tickets": "tickets_by_day",
    "sessions": "sessions_by_day",
    "ratings": "ratings_counted_by_day",
    "consents": "consents_answered_by_day",
}
OFFICE_P95_TARGET_MS = 200.0
CITY_P95_TARGET_MS = 2000.0
CITY = clean_label("Hà Nội")
WARM_UP = 2
START_TIMEOUT_S = 60.0


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20, method="inclusive")[18], 1)


def ensure_city(database_url: str, args: argparse.Namespace) -> None:
    """Load the city-month unless the database holds exactly that many tickets."""
    db = Database(database_url)
    try:
        db.create_schema()
        held = db.read(
            lambda conn: conn.execute(select(func.count()).select_from(tickets)).scalar()
        )
    finally:
        db.dispose()
    if held != args.offices * args.days * args.tickets:
        city.load(
            database_url,
            offices=args.offices,
            days=args.days,
            tickets=args.tickets,
            seed=args.seed,
            reset=True,
        )


def libpq(database_url: str) -> str:
    return city._libpq(database_url)


@contextmanager
def serving(database_url: str, tree: Path, work: Path) -> Iterator[str]:
    """`python -m central serve` of the files in `tree`; yields its base URL."""
    port = free_port()
    keys = work / f"keys-{port}"
    keys.mkdir()
    command = [sys.executable, "-m", "central", "serve", "--db", database_url]
    command += ["--port", str(port), "--key-dir", str(keys)]
    with open(work / f"central-{port}.log", "ab") as log:
        process = subprocess.Popen(command, cwd=tree, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server did not start: {(work / f'central-{port}.log').read_text()}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def office_samples(
    url: str, office: str, token: str, period: dict[str, str], n: int
) -> list[float]:
    """ms of the service report and the satisfaction report of the month, by day."""
    paths = [f"/api/v1/offices/{office}/reports/{report}" for report in ("service", "satisfaction")]
    samples = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as http:
        for attempt in range(WARM_UP + n):
            started = time.perf_counter()
            for path in paths:
                response = http.get(path, params={**period, "by": "day"})
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
            if attempt >= WARM_UP:
                samples.append(1000 * (time.perf_counter() - started))
    return samples


def city_samples(
    url: str, token: str, period: dict[str, str], n: int, offices: int, warm_up: int
) -> list[float]:
    """ms of the city view of the month (every office side by side, and the city's total)."""
    path = f"/api/v1/cities/{quote(CITY, safe='')}/reports/overview"
    samples = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as http:
        for attempt in range(warm_up + n):
            started = time.perf_counter()
            response = http.get(path, params=period)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
            if len(response.json()["offices"]) != offices:
                raise RuntimeError("the city view does not show every office")
            if attempt >= warm_up:
                samples.append(1000 * (time.perf_counter() - started))
    return samples


def measure(
    url: str,
    tokens: tuple[str, str],
    office: str,
    period: dict[str, str],
    requests: tuple[int, int],
    offices: int,
) -> tuple[list[float], list[float]]:
    """The office's samples and the city's (`requests` of each), each after its warm-up."""
    samples = (
        office_samples(url, office, tokens[0], period, requests[0]),
        city_samples(url, tokens[1], period, requests[1], offices, min(WARM_UP, requests[1])),
    )
    print(f"{url}: office p95 {p95(samples[0])} ms, city p95 {p95(samples[1])} ms", file=sys.stderr)
    return samples


def baseline_tree(work: Path) -> Path:
    """The files of BASELINE, and the newest revision they know."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", BASELINE], capture_output=True, check=True
    ).stdout
    tree = work / "baseline"
    with tarfile.open(fileobj=BytesIO(archive)) as files:
        files.extractall(tree, filter="data")
    return tree


def revision_of(tree: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", "from central.migrations import head; print(head())"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@contextmanager
def as_baseline(database_url: str, revision: str) -> Iterator[None]:
    """The database without the reports' indexes and at the baseline's revision, for a while."""
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        current = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        for name in REPORT_INDEXES.values():
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute("UPDATE alembic_version SET version_num = %s", (revision,))
    try:
        yield
    finally:
        db = Database(database_url)
        try:
            with db.engine.begin() as conn:
                for table, name in REPORT_INDEXES.items():
                    index = next(i for i in metadata.tables[table].indexes if i.name == name)
                    assert isinstance(index, Index)
                    index.create(conn, checkfirst=True)
        finally:
            db.dispose()
        with psycopg.connect(libpq(database_url), autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = %s", (current,))
            conn.execute(f"VACUUM (ANALYZE) {', '.join(REPORT_INDEXES)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (postgresql+psycopg://…)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--city-baseline-requests",
        type=int,
        default=3,
        help="samples of the baseline's city view (about a minute each), after one to warm up",
    )
    parser.add_argument("--offices", type=int, default=126)
    parser.add_argument("--days", type=int, default=22)
    parser.add_argument("--tickets", type=int, default=500, help="per office and day")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    ensure_city(args.db, args)
    codes = city.office_codes(args.offices)
    office = codes[len(codes) // 2]
    days = city.working_days(args.days)
    period = {"from": days[0].replace(day=1).isoformat(), "to": days[-1].isoformat()}
    db = Database(args.db)
    try:
        for number, code in enumerate(codes, start=1):
            set_office_labels(db, code, name=clean_label(f"Phường {number}"), city=CITY)
        tokens = (
            create_viewer_token(db, office=office, now=aware_now()).token,
            create_city_token(db, city=CITY, now=aware_now()).token,
        )
    finally:
        db.dispose()
    size = f"{args.offices} offices × {args.days} days × {args.tickets} tickets"
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        work = Path(tmp)
        with serving(args.db, REPO, work) as url:
            fast = measure(url, tokens, office, period, (args.requests,) * 2, len(codes))
        tree = baseline_tree(work)
        with as_baseline(args.db, revision_of(tree)), serving(args.db, tree, work) as url:
            requests = (args.requests, args.city_baseline_requests)
            plain = measure(url, tokens, office, period, requests, len(codes))
        shutil.rmtree(tree)
    emit(
        f"one office's month, service + satisfaction report by day over HTTP, p95 of "
        f"{args.requests} ({size}, PostgreSQL)",
        p95(fast[0]),
        "ms",
        p95(plain[0]),
        OFFICE_P95_TARGET_MS,
    )
    emit(
        f"the city view of the month ({args.offices} offices side by side and the city's total)"
        f" over HTTP, p95 of {args.requests} (baseline: of {args.city_baseline_requests})",
        p95(fast[1]),
        "ms",
        p95(plain[1]),
        CITY_P95_TARGET_MS,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
