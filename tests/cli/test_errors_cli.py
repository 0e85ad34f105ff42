"""One error path for every command: bad values, unreadable and unwritable files, a damaged store.

The walker runs every command with bad values for each of its number and date options and
checks the promise of the CLI: exit 2, exactly one line on stderr naming the option, no
traceback.  The other tests pin the classes from the audit (issue 12) on the real store.
"""

from __future__ import annotations

import codecs
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from rotation.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "examples" / "iwm-short-2024-07.toml"
CLAIMS = ROOT / "examples" / "claims-2024-07.toml"
Cli = Callable[..., Any]

DATE_OPTIONS = {"--from", "--to", "--as-of", "--on", "--date"}
BAD_VALUES: dict[type, tuple[str, ...]] = {int: ("x", "-1", "1e3"), float: ("x", "-1")}
BAD_DATES = ("2024-13-45", "yesterday")


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    ctx = group.make_context("rotation", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix} {name}".strip()
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, full)
            if not any(p.name != "help" for p in cmd.params):
                continue
        yield full, cmd


def _required(name: str, tmp: Path) -> list[str]:
    """Valid values for a command's required arguments, so that the bad option is what fails."""
    csv = tmp / "ONE.csv"
    csv.write_text("date,open,high,low,close\n2024-07-19,1,2,0.5,1.5\n")
    return {
        "measure": ["NVDA", "--from", "ath"],
        "compare": ["NVDA", "AAPL", "--from", "2024-07-10"],
        "drawdown": ["NVDA"],
        "pivots": ["NVDA"],
        "claims": [str(CLAIMS)],
        "chart": ["NVDA", "--out", str(tmp / "c.html")],
        "data import": [str(csv)],
        "data show": ["NVDA"],
        "data export": [str(tmp / "export")],
        "breadth confirm": ["--pair", "RUT:NDX", "--on", "2024-07-11"],
        "trade replay": [str(PLAN)],
        "trade check": [str(PLAN)],
        "journal add": ["IWM", "--side", "short", "-q", "5", "--date", "2024-07-19", "--price", "217"],
        "journal close": ["J1", "--date", "2024-07-26", "--price", "210"],
        "ratio": ["IWM", "QQQ"],
        "valuation": ["NVDA"],
        "events": ["--pair", "RUT:NDX"],
        "leaders": ["--universe", "sectors"],
        "backtest run": ["pair-switch"],
        "backtest sweep": ["pair-switch", "--grid", "fast=1,5"],
        "backtest walkforward": ["pair-switch", "--grid", "fast=1,5"],
        "alerts": [str(ROOT / "examples" / "alerts.toml")],
    }.get(name, [])


def _cases() -> Iterator[tuple[str, str, str, tuple[str, ...]]]:
    for name, cmd in _commands(typer.main.get_command(app)):
        for p in cmd.params:
            if p.param_type_name != "option" or p.is_flag:
                continue
            kind = p.type_descriptor.annotation
            values = BAD_DATES if set(p.opts) & DATE_OPTIONS else BAD_VALUES.get(kind, ())
            for value in values:
                yield name, p.opts[0], value, tuple(p.opts)


CASES = list(_cases())


def test_the_walker_covers_every_kind_of_option() -> None:
    options = {(name, opt) for name, opt, _, _ in CASES}
    assert len(options) >= 60
    for wanted in [("rrg", "--window"), ("events", "--top"), ("events", "--notable"), ("backtest sweep", "--chunk-size"),
                   ("chart", "--from"), ("measure", "--as-of"), ("journal add", "--quantity"), ("serve", "--port")]:
        assert wanted in options


@pytest.fixture(scope="module")
def walker_store(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy: a bad value must be refused before anything is written, but if a
    command accepted one, it writes here and not in the shared store."""
    from typer.testing import CliRunner

    dest = tmp_path_factory.mktemp("walker") / "s.duckdb"
    shutil.copyfile(real_store, dest)
    entry = CliRunner().invoke(app, ["journal", "add", "IWM", "--side", "short", "-q", "5", "--date", "2024-07-19",
                                     "--price", "217", "--id", "J1", "--store", str(dest)])
    assert entry.exit_code == 0, entry.output  # `journal close J1` then fails on the bad value only
    return dest


@pytest.mark.parametrize(("name", "option", "value", "opts"), CASES,
                         ids=[f"{n}|{o}={v}" for n, o, v, _ in CASES])
def test_bad_option_values_are_one_line_exit_2(cli: Cli, walker_store: Path, tmp_path: Path, name: str,
                                               option: str, value: str, opts: tuple[str, ...]) -> None:
    args = [*name.split(), *_required(name, tmp_path), option, value]
    if name != "trade check":
        args += ["--store", str(walker_store)]
    res = cli(*args)
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2, (args, res.output)
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, res.stderr)
    assert "Traceback" not in res.output and "unexpected" not in res.stderr, res.stderr
    named = [o.lstrip("-") for o in opts]
    assert any(o in lines[0] for o in named) or repr(value) in lines[0], (args, lines[0])


def test_help_texts_survive_rich_markup() -> None:
    """Typer renders help as rich markup: "[[tranche]]" written plainly would show as "[]"."""
    from rich.text import Text

    for name, cmd in _commands(typer.main.get_command(app)):
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for text in texts:
            assert Text.from_markup(text).plain == text.replace("\\[", "["), (name, text)


def test_one_date_vocabulary() -> None:
    """--from/--to bound a range everywhere; --start/--end/--since are only other names of them."""
    for name, cmd in _commands(typer.main.get_command(app)):
        for p in cmd.params:
            opts = list(getattr(p, "opts", []))
            if {"--start", "--since"} & set(opts):
                assert opts[0] == "--from", (name, opts)
            if "--end" in opts:
                assert opts[0] == "--to", (name, opts)


def test_aliases_give_the_same_answer(cli: Cli, real_store: Path) -> None:
    a = cli("data", "show", "NVDA", "--from", "2024-07-15", "--to", "2024-07-19", "--json", "--store", str(real_store))
    b = cli("data", "show", "NVDA", "--start", "2024-07-15", "--end", "2024-07-19", "--json", "--store", str(real_store))
    assert a.exit_code == 0 and a.stdout == b.stdout and a.stdout.count('"date"') == 5
    m = cli("measure", "NVDA", "--start", "2024-06-20", "--end", "2024-07-19", "--json", "--store", str(real_store))
    n = cli("measure", "NVDA", "--from", "2024-06-20", "--to", "2024-07-19", "--json", "--store", str(real_store))
    assert m.exit_code == 0 and m.stdout == n.stdout


def _one_line(res: Any, *needles: str, code: int = 2) -> str:
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == code, res.output
    assert len(lines) == 1, res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["rrg", "--universe", "sectors", "--window", "0"], ["--window"]),
        (["rrg", "--universe", "sectors", "--tail", "-1"], ["--tail"]),
        (["events", "--pair", "RUT:NDX", "--top", "-1"], ["--top"]),
        (["events", "--universe", "pairs", "--notable", "5"], ["--notable"]),
        (["events", "--universe", "pairs", "--notable", "0"], ["notable", "(0, 1]"]),
        (["events", "--pair", "RUT:RUT"], ["^RUT:^RUT", "two different sides"]),
        (["backtest", "sweep", "pair-switch", "--grid", "fast=1,5", "--chunk-size", "0"], ["--chunk-size"]),
        (["backtest", "run", "pair-switch", "-p", "fast=100", "-p", "slow=10"], ["fast", "slow (10)"]),
        (["backtest", "sweep", "pair-switch", "-g", "fast=1,50", "-g", "slow=50,100"], ["fast=50, slow=50"]),
        (["chart", "NOPEZZ", "--out", "x.png"], ["no bars for NOPEZZ"]),
        (["chart", "NVDA", "--from", "2024-05-01", "--to", "2024-01-01", "--out", "x.html"], ["start <= end"]),
        (["data", "show", "NVDA", "--from", "2024-05-01", "--to", "2024-01-01"], ["start <= end"]),
        (["ratio", "IWM", "IWM"], ["two different operands"]),
        (["ratio", "@megacaps", "RUT", "--fast", "300", "--slow", "10"], ["fast < slow", "fast 300"]),
        (["breadth", "confirm", "--pair", "RUT:RUT", "--on", "2024-07-11"], ["two different sides"]),
        (["valuation", "NVDA", "--as-of", "2024-06-20", "--from", "2024-07-01"], ["not before the as-of day"]),
        (["rrg", "--universe", "sectors", "--as-of", "1900-01-01"], ["on or before 1900-01-01"]),
        (["events", "--pair", "RUT:NDX", "--as-of", "1900-01-01"], ["no 1d spread for ^RUT:^NDX"]),
        (["nosuch"], ["No such command 'nosuch'", "rotation --help"]),
        # a symbol against itself, a window longer than the data
        (["compare", "NVDA", "NVDA", "--from", "2024-06-20"], ["SYMBOLS", "two or more different", "NVDA, NVDA"]),
        (["compare", "RUT", "^RUT", "--from", "2024-06-20"], ["SYMBOLS", "^RUT, ^RUT"]),
        (["compare", "NVDA", "--from", "2024-06-20"], ["SYMBOLS", "got NVDA"]),
        (["chart", "NVDA", "--vs", "NVDA", "--out", "x.html"], ["--vs NVDA", "other than the one charted"]),
        (["chart", "RUT", "^RUT", "--out", "x.html"], ["SYMBOLS", "^RUT more than once"]),
        (["rrg", "--universe", "sectors", "--benchmark", "SPY", "--window", "100000"],
         ["RRG window 100000", "100,004 weekly bars", "XLB, has 1,397 weekly bars with SPY"]),
        (["rrg", "--universe", "sectors", "--benchmark", "SPY", "--as-of", "1999-03-01"],
         ["RRG window 26", "30 weekly bars", "has 11 weekly bars with SPY up to 1999-03-01"]),
        (["ratio", "IWM", "QQQ", "--slow", "100000"], ["slow 100000", "longer than the data", "6,372 sessions",
                                                   "choose a shorter slow"]),
        (["ratio", "IWM", "QQQ", "--slope-window", "7000"], ["slope window 7000", "6,372 sessions"]),
        (["backtest", "run", "pair-switch", "-p", "slow=100000"],
         ["slow 100000: longer than the data", "IWM, QQQ, ^RUT, ^NDX span 10,302 (1985-10-01..2026-08-21)"]),
        (["backtest", "run", "momentum", "-p", "lookback=100000"], ["lookback 100000", "100,001 sessions"]),
        (["backtest", "run", "rrg", "-p", "window=100000"], ["window 100000", "100,014 sessions", "SPY span 8,222"]),
        (["backtest", "run", "breakout", "-p", "lookback=6731"], ["lookback 6731", "span 6,731"]),
        (["events", "--pair", "RUT:NDX", "--from", "2030-01-01"], ["--from 2030-01-01", "last 1d spread", "2026-02-27"]),
    ],
)
def test_out_of_range_values_are_refused(cli: Cli, real_store: Path, args: list[str], needles: list[str]) -> None:
    _one_line(cli(*args, "--store", str(real_store)), *needles)


def test_toml_table_names_survive_the_error_line(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "p.toml"
    plan.write_text('name = "x"\nsymbol = "IWM"\nside = "short"\nsize = { shares = 10 }\n')
    line = _one_line(cli("trade", "check", str(plan)), "[[tranche]]")
    assert "[]" not in line.replace("[[tranche]]", "")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('name = "x"\n'.encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02\x03binary\xff", "NUL byte"),
        (b"a = " + b"[" * 5000, "nested too deeply"),
        (b"a = 1\n\xff\xfe", "not UTF-8"),
    ],
)
def test_unreadable_files_are_one_line(cli: Cli, real_store: Path, tmp_path: Path, content: bytes,
                                       needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    for args in (["trade", "check", str(path)], ["trade", "replay", str(path), "--store", str(real_store)],
                 ["claims", str(path), "--store", str(real_store)], ["rrg", "--universe", str(path),
                                                                     "--store", str(real_store)]):
        _one_line(cli(*args), needle, "bad.toml")


def test_a_plan_with_a_utf8_bom_is_accepted(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(codecs.BOM_UTF8 + PLAN.read_bytes())
    assert cli("trade", "check", str(path)).exit_code == 0


def test_unwritable_outputs_exit_2_and_write_nothing(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    store = ["--store", str(real_store)]
    _one_line(cli("chart", "NVDA", "--out", "/proc/x.html", *store), "/proc/x.html", "cannot write chart")
    # watch: exit 1 means a stop fired (it does on 2024-07-31), so a write failure must be 2, never 1
    fired = cli("watch", str(PLAN), "--as-of", "2024-07-31", *store)
    assert fired.exit_code == 1, fired.output
    failed = cli("watch", str(PLAN), "--as-of", "2024-07-31", "--json-out", "/proc/x.json", *store)
    assert failed.exit_code == 2, failed.output
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]  # after the bar warning
    assert errors == [failed.stderr.strip().splitlines()[-1]] and "/proc/x.json: cannot write" in errors[0]
    _one_line(cli("journal", "export", "-o", "/proc/x.csv", *store), "/proc/x.csv")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "old.html").write_text("old")
    folder.chmod(0o555)
    try:
        if not (folder / "probe").exists():  # root ignores permissions: then only /proc is checked
            res = cli("chart", "NVDA", "--out", str(folder / "old.html"), *store)
            if res.exit_code != 0:
                _one_line(res, "cannot write chart")
                assert (folder / "old.html").read_text() == "old"
    finally:
        folder.chmod(0o755)


def test_tearsheet_to_an_unwritable_path(cli: Cli, real_store: Path) -> None:
    _one_line(cli("backtest", "run", "pair-switch", "--from", "2020-01-01", "--out", "/proc/x.html",
                  "--store", str(real_store)), "/proc/x.html", "cannot write tearsheet")


def test_report_to_an_unwritable_path(cli: Cli, real_store: Path) -> None:
    _one_line(cli("report", "--as-of", "2024-07-26", "--out", "/proc/x.html", "--store", str(real_store)),
              "/proc/x.html", "cannot write report")


@pytest.mark.parametrize("args", [["breadth"], ["events", "--pair", "RUT:NDX"], ["report", "--format", "json"]])
def test_a_damaged_store_is_one_line_saying_how_to_rebuild(cli: Cli, damaged_store: Path, args: list[str]) -> None:
    _one_line(cli(*args, "--store", str(damaged_store)), "is damaged", "rotation data verify",
              "rotation data import DIR --store NEW.duckdb")


def test_data_verify(cli: Cli, real_store: Path, damaged_store: Path) -> None:
    import json

    clean = cli("data", "verify", "--json", "--store", str(real_store))
    assert clean.exit_code == 0, clean.output
    out = json.loads(clean.stdout)
    assert out["ok"] is True and out["damaged"] == []
    tables = {t["table"]: t["rows"] for t in out["tables"]}
    assert tables["bars"] > 300_000 and "constituent_closes" in tables and "imports" in tables
    bad = cli("data", "verify", "--json", "--store", str(damaged_store))
    assert bad.exit_code == 1, bad.output
    verdict = json.loads(bad.stdout)
    assert verdict["ok"] is False and verdict["damaged"]
    assert all(t["error"] for t in verdict["tables"] if t["table"] in verdict["damaged"])
    text = cli("data", "verify", "--store", str(damaged_store))
    assert text.exit_code == 1 and "DAMAGED" in text.stdout and "rotation data import DIR" in text.stdout
    missing = cli("data", "verify", "--store", str(damaged_store.parent / "none.duckdb"))
    _one_line(missing, "no store at")


def test_export_to_an_unwritable_folder(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    _one_line(cli("data", "export", "/proc/x", "--store", str(real_store)), "/proc/x: cannot write the export")
    (tmp_path / "file").write_text("")
    _one_line(cli("data", "export", str(tmp_path / "file" / "sub"), "--store", str(real_store)), "Not a directory")


@pytest.mark.parametrize("args", [["events", "--pair", "RUT:NDX", "--top", "100000", "--json"],
                                  ["events", "--pair", "RUT:NDX", "--top", "100000"]])
def test_a_reader_that_stops_early_is_not_a_finding_nor_a_bug(real_store: Path, args: list[str]) -> None:
    """`rotation ... | head`: the output goes to a pipe whose reader has already left."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "rotation", *args, "--store", str(real_store)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes (it takes seconds to start): its first write fails
    err = proc.stderr.read().decode()
    proc.stderr.close()
    # 141 = 128 + SIGPIPE, as a shell reports for other tools; never 1 ("findings") or "a bug in rotation"
    assert proc.wait(timeout=120) == 141 and err == ""
