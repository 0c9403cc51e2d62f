"""The ``prefrontal`` command line, end to end on real SQLite files.

Most commands run in-process through typer's ``CliRunner``; the restart and ``--help`` checks
run the installed console script in real subprocesses, so nothing survives between them but
the journal file.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from prefrontal.cli import app

ENV: dict[str, str | None] = {"COLUMNS": "200", "PREFRONTAL_CONFIG": None, "FORCE_COLOR": None}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
STARTER_MODULES = ("policies", "workers")


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


def flat(text: str) -> str:
    """Plain text with every run of whitespace made one space (rich may wrap long lines)."""
    return " ".join(ANSI.sub("", text).split())


def script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``prefrontal`` console script in a fresh process."""
    exe = Path(sys.executable).with_name("prefrontal")
    command = (
        [str(exe)]
        if exe.exists()
        else [sys.executable, "-c", "from prefrontal.cli import main; main()"]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PREFRONTAL_CONFIG", "FORCE_COLOR")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def table_row(text: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is ``first_cell``."""
    for line in ANSI.sub("", text).splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row starting with {first_cell!r} in:\n{text}")


def _forget_starter_modules() -> None:
    for name in STARTER_MODULES:
        sys.modules.pop(name, None)


@pytest.fixture
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``prefrontal init`` in an empty folder (the cwd); yields the config's path."""
    monkeypatch.chdir(tmp_path)
    _forget_starter_modules()
    result = cli("init")
    assert result.exit_code == 0, result.output
    yield tmp_path / "prefrontal.toml"
    # The starter's policies.py and workers.py were imported from tmp_path: forget them.
    _forget_starter_modules()
    while str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


@pytest.fixture
def household(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The household example's config in tmp_path (its journal goes beside it), with its
    senses unsubscribed: these tests follow the principal's requests, not the scene."""
    monkeypatch.chdir(tmp_path)
    source = resources.files("prefrontal.examples.household") / "prefrontal.toml"
    target = tmp_path / "household" / "prefrontal.toml"
    target.parent.mkdir()
    text = source.read_text(encoding="utf-8")
    assert 'senses = ["ears", "boiler"]\n' in text
    target.write_text(text.replace('senses = ["ears", "boiler"]\n', ""), encoding="utf-8")
    return target


def pending_ids(config: Path, domain: str | None = None) -> list[str]:
    """The inbox items (of ``domain``) that wait for an answer, read through ``journal --json``."""
    everything = cli("journal", "-c", str(config), "--json", "--last", "100000")
    assert everything.exit_code == 0, everything.output
    records = json_lines(everything.stdout)
    answered = {r["item_id"] for r in records if r["kind"] == "approval"}
    answered |= {
        f"q-{r['request']['request_id']}"
        for r in records
        if r["kind"] == "routed" and r["method"] == "principal"
    }
    return [
        r["item_id"]
        for r in records
        if r["kind"] == "inbox"
        and r["needs_answer"]
        and r["item_id"] not in answered
        and (domain is None or r["domain"] == domain)
    ]


@contextmanager
def another_driver(config: Path, journal: str = "household.db") -> Iterator[None]:
    """Hold the journal's driver lock, as a running ``prefrontal run --follow`` would."""
    with open(config.parent / f"{journal}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def held_for(config: Path, *, seconds: float) -> Iterator[None]:
    """Hold the driver lock from another thread for ``seconds``, then let it go."""
    locked = threading.Event()

    def hold() -> None:
        with another_driver(config):
            locked.set()
            time.sleep(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait()
    try:
        yield
    finally:
        holder.join()


# -- help and init ---------------------------------------------------------------------------


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = script("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"^  ([a-z]+) {2,}", result.stdout, flags=re.MULTILINE))
    expected = {"init", "run", "ask", "inbox", "status", "costs", "journal", "replay", "demo"}
    expected |= {"serve", "timers", "memory"}
    assert expected <= listed, f"missing from --help: {sorted(expected - listed)}"


def test_init_writes_a_working_starter(starter: Path) -> None:
    folder = starter.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        ".prefrontal-token",
        "policies.py",
        "prefrontal.toml",
        "workers.py",
    ]
    token = folder / ".prefrontal-token"
    assert token.stat().st_mode & 0o777 == 0o600, "the serve token is the owner's alone"
    assert len(token.read_text(encoding="utf-8").strip()) >= 40
    assert "[domains.notes]" in starter.read_text(encoding="utf-8")
    assert "def notes(" in (folder / "policies.py").read_text(encoding="utf-8")
    assert "def count_words(" in (folder / "workers.py").read_text(encoding="utf-8")


def test_init_again_refuses_without_force_and_names_the_files(starter: Path) -> None:
    starter.write_text(starter.read_text(encoding="utf-8") + "\n# mine\n", encoding="utf-8")
    result = cli("init")
    assert result.exit_code == 2
    message = flat(result.stderr)
    for name in ("prefrontal.toml", "policies.py", "workers.py"):
        assert name in message
    assert "--force" in message
    assert starter.read_text(encoding="utf-8").endswith("# mine\n"), "init overwrote a file"

    forced = cli("init", "--force")
    assert forced.exit_code == 0, forced.output
    assert not starter.read_text(encoding="utf-8").endswith("# mine\n")


# -- ask, inbox, status, costs, journal, replay ----------------------------------------------


def test_ask_prints_the_exact_word_count(starter: Path) -> None:
    result = cli("ask", "count the words of this note", "-c", str(starter))
    assert result.exit_code == 0, result.output
    assert "→ notes: That note has 6 words." in ANSI.sub("", result.stdout)


def test_inbox_lists_the_reply(starter: Path) -> None:
    assert cli("ask", "count the words of this note", "-c", str(starter)).exit_code == 0
    result = cli("inbox", "-c", str(starter))
    assert result.exit_code == 0, result.output
    out = ANSI.sub("", result.stdout)
    assert "Waiting for you (0)" in out
    row = table_row(out, "i-notes-6-0")
    assert row[2:6] == ["notes", "reply", "normal", "interrupt"]
    assert row[6] == "That note has 6 words."


def test_status_shows_domain_workers_and_ratio(starter: Path) -> None:
    assert cli("ask", "count the words of this note", "-c", str(starter)).exit_code == 0
    result = cli("status", "-c", str(starter))
    assert result.exit_code == 0, result.output
    out = ANSI.sub("", result.stdout)
    domain = table_row(out, "notes")
    # domain, policy, workers, decisions (the request's and the report's), pending, open
    assert domain[:6] == ["notes", "notes", "1", "2", "0", "0"]
    worker = table_row(out, "count_words")
    assert worker == ["count_words", "tool", "-", "free", "notes"]
    assert "1 orchestrator, 1 worker: 1.00 workers per orchestrator." in out


def test_costs_runs_and_totals_nothing_for_free_tools(starter: Path) -> None:
    assert cli("ask", "count the words of this note", "-c", str(starter)).exit_code == 0
    result = cli("costs", "-c", str(starter))
    assert result.exit_code == 0, result.output
    out = ANSI.sub("", result.stdout)
    for axis in ("domain", "worker", "tier", "source", "model"):
        assert f"By {axis}" in out
    assert "Total: $0.0000 over 0 calls; 0 tokens." in out


def test_journal_json_is_one_object_a_line_in_seq_order(starter: Path) -> None:
    assert cli("ask", "count the words of this note", "-c", str(starter)).exit_code == 0
    result = cli("journal", "--json", "-c", str(starter))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) for r in records)
    seqs = [r["seq"] for r in records]
    assert seqs == list(range(1, len(records) + 1)), "seq must increase by one, from 1"
    kinds = [r["kind"] for r in records]
    assert kinds[:2] == ["request", "routed"]
    for kind in ("decision", "commission", "report", "inbox"):
        assert kind in kinds
    (report,) = [r for r in records if r["kind"] == "report"]
    assert (report["worker"], report["status"], report["output"]) == ("count_words", "ok", 6)

    last = json_lines(cli("journal", "--json", "--last", "2", "-c", str(starter)).stdout)
    assert [r["seq"] for r in last] == seqs[-2:]
    only = json_lines(cli("journal", "--json", "--kind", "report", "-c", str(starter)).stdout)
    assert [r["seq"] for r in only] == [report["seq"]]


def test_replay_says_the_decisions_are_identical(starter: Path) -> None:
    assert cli("ask", "count the words of this note", "-c", str(starter)).exit_code == 0
    result = cli("replay", "-c", str(starter))
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "Replay ok: 2 rule decisions made again, all identical; journal invariants hold." in out
    assert "mismatch" not in out


# -- user mistakes: exit 2 with a message that names the value and the fix -------------------


@pytest.mark.parametrize(
    "command", [["status"], ["costs"], ["journal"], ["replay"], ["inbox"], ["run"], ["ask", "hi"]]
)
def test_a_toml_syntax_error_exits_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "broken.toml"
    bad.write_text('[principal]\nname = "x"\nfoo = \n', encoding="utf-8")
    result = cli(*command, "-c", str(bad))
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert str(bad) in message
    assert "TOML syntax error" in message
    assert "line 3" in message
    assert "Traceback" not in result.output
    assert not (tmp_path / "prefrontal.db").exists()


def test_a_missing_config_exits_2_and_points_at_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("status")
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert "prefrontal.toml: no such file" in message
    assert "prefrontal init" in message


@pytest.mark.parametrize("args", [["@nowhere hi"], ["hi", "--domain", "nowhere"]])
def test_ask_an_unknown_domain_exits_2_listing_the_domains(starter: Path, args: list[str]) -> None:
    result = cli("ask", *args, "-c", str(starter))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "@nowhere, which is not a domain; domains: ['notes']" in message
    assert "Traceback" not in result.output


def test_ask_an_empty_request_exits_2(starter: Path) -> None:
    result = cli("ask", "   ", "-c", str(starter))
    assert result.exit_code == 2, result.output
    assert "is empty; say what you need" in flat(result.stderr)


def test_inbox_route_to_an_unknown_domain_exits_2_listing_the_domains(starter: Path) -> None:
    assert cli("ask", "hello there", "-c", str(starter)).exit_code == 0
    (question,) = pending_ids(starter)
    result = cli("inbox", "route", question, "nowhere", "-c", str(starter))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "domains: ['notes']" in message
    assert "drop the address" not in message
    assert pending_ids(starter) == [question]


def test_ask_an_unknown_domain_while_another_process_drives_exits_2(household: Path) -> None:
    with another_driver(household):
        result = cli("ask", "@nowhere hi", "-c", str(household))
    assert result.exit_code == 2, result.output
    assert "domains: ['home', 'health', 'money']" in flat(result.stderr)


def test_inbox_approve_an_unknown_id_exits_2_listing_pending_ids(household: Path) -> None:
    assert cli("ask", "pay the electricity bill of 84.20", "-c", str(household)).exit_code == 0
    (waiting,) = pending_ids(household, "money")
    result = cli("inbox", "approve", "i-nope", "-c", str(household))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert f"'i-nope' is not a pending escalation; pending escalations: ['{waiting}']" in message
    assert "Traceback" not in result.output
    assert pending_ids(household, "money") == [waiting]


def test_inbox_approve_an_unknown_id_while_another_process_drives_exits_2(
    household: Path,
) -> None:
    assert cli("ask", "pay the electricity bill of 84.20", "-c", str(household)).exit_code == 0
    (waiting,) = pending_ids(household, "money")
    with another_driver(household):
        result = cli("inbox", "approve", "i-nope", "-c", str(household))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert f"'i-nope' is not a pending escalation; pending escalations: ['{waiting}']" in message
    assert pending_ids(household, "money") == [waiting]


def test_approving_twice_exits_2_saying_it_was_answered(household: Path) -> None:
    assert cli("ask", "pay the electricity bill of 84.20", "-c", str(household)).exit_code == 0
    (waiting,) = pending_ids(household, "money")
    assert cli("inbox", "approve", waiting, "-c", str(household)).exit_code == 0
    result = cli("inbox", "approve", waiting, "-c", str(household))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert f"inbox item '{waiting}' was already answered" in message
    assert "kind=" not in message, "the message dumps a record's repr"


# -- the router's question, and escalations across restarts ----------------------------------


def test_an_unmatched_request_becomes_a_question_then_routes_and_is_processed(
    starter: Path,
) -> None:
    asked = cli("ask", "hello there", "-c", str(starter))
    assert asked.exit_code == 0, asked.output
    assert "no charter rule matches" in flat(asked.stdout)
    (question,) = pending_ids(starter)
    assert question.startswith("q-r-")
    inbox = ANSI.sub("", cli("inbox", "-c", str(starter)).stdout)
    assert "Waiting for you (1)" in inbox
    assert table_row(inbox, question)[2:4] == ["router", "question"]
    assert "count_words" not in cli("journal", "-c", str(starter)).stdout, "worked before routing"

    routed = cli("inbox", "route", question, "notes", "-c", str(starter))
    assert routed.exit_code == 0, routed.output
    assert "(principal: the principal chose it)" in flat(routed.stdout)
    assert pending_ids(starter) == []
    records = json_lines(cli("journal", "--json", "-c", str(starter)).stdout)
    request_id = question.removeprefix("q-")
    replies = [
        r["text"]
        for r in records
        if r["kind"] == "inbox" and r["item"] == "reply" and r["thread_id"] == request_id
    ]
    assert replies == ["That note has 2 words."]


def test_an_escalation_waiting_for_approval_survives_a_restart(household: Path) -> None:
    # ask and approve run in separate processes: only the journal file connects them.
    folder, config = household.parent.parent, str(household)
    asked = script("ask", "pay the electricity bill of 84.20", "-c", config, cwd=folder)
    assert asked.returncode == 0, asked.stderr
    assert "→ money: Pay 84.20 for the electricity bill?" in asked.stdout
    commissions = cli("journal", "--json", "--kind", "commission", "-c", config)
    assert json_lines(commissions.stdout) == [], "paid before the principal approved"

    listed = ANSI.sub("", cli("inbox", "-c", config).stdout)
    assert "Waiting for you (1)" in listed
    (waiting,) = pending_ids(household, "money")
    row = table_row(listed, waiting)
    assert row[2:4] == ["money", "escalation"]
    assert row[-1] == "pending"

    approved = script("inbox", "approve", waiting, "-c", config, cwd=folder)
    assert approved.returncode == 0, approved.stderr
    assert f"principal approved {waiting}" in approved.stdout

    journal = cli("journal", "--json", "-c", config)
    assert journal.exit_code == 0, journal.output
    records = json_lines(journal.stdout)
    (commission,) = [r for r in records if r["kind"] == "commission"]
    assert (commission["worker"], commission["inputs"]) == (
        "pay_bill",
        {"payee": "electricity", "amount": "84.20"},
    )
    assert commission["constraints"] == ["never pay more than 500 without approval"]
    (report,) = [r for r in records if r["kind"] == "report"]
    assert report["commission_id"] == commission["commission_id"]
    assert report["status"] == "ok"
    assert report["output"]["amount"] == "84.20"
    assert report["output"]["confirmation"] == f"pay-{commission['commission_id']}"
    assert pending_ids(household, "money") == []

    assert "Total: $0.2500 over 1 call" in cli("costs", "-c", config).stdout
    replay = cli("replay", "-c", config)
    assert replay.exit_code == 0, replay.output


def test_a_queued_ask_and_approval_with_no_follower_are_handled_once_the_lock_frees(
    household: Path,
) -> None:
    """A one-shot driver that holds the lock never polls: the queueing process drives after."""
    config = str(household)
    assert cli("ask", "pay the electricity bill of 84.20", "-c", config).exit_code == 0
    (waiting,) = pending_ids(household, "money")
    started = time.monotonic()
    with held_for(household, seconds=1.5):
        queued = cli("ask", "I spent 2.50 on tea and 1.25 on milk", "-c", config)
    assert queued.exit_code == 0, queued.output
    assert time.monotonic() - started >= 1.5, "it drove before the lock was free"
    assert "→ money:" in queued.stdout
    with held_for(household, seconds=1.0):
        answered = cli("inbox", "approve", waiting, "-c", config)
    assert answered.exit_code == 0, answered.output
    assert f"Approved {waiting}; the driving process acted on it." in answered.stdout
    reports = json_lines(cli("journal", "--json", "--kind", "report", "-c", config).stdout)
    outputs = sorted((r["worker"], json.dumps(r["output"], sort_keys=True)) for r in reports)
    assert [w for w, _ in outputs] == ["expense_total", "pay_bill"]
    (total,) = [r["output"] for r in reports if r["worker"] == "expense_total"]
    assert total == {"total": "3.75", "count": "2"}
    assert "Inbox: 0 pending." in cli("run", "-c", config).stdout


# -- hostile input: each a typed error, exit 2, one line -----------------------------------------

HOSTILE: list[tuple[str, list[str], str]] = [
    ("poll below zero", ["run", "--poll", "-1"], "--poll -1.0: give the seconds between polls"),
    ("poll not a number", ["run", "--poll", "nan"], "--poll nan: give the seconds between polls"),
    ("init under a file", ["init", "{tmp}/afile/sub"], "cannot write the starter files in"),
    ("demo in /proc", ["demo", "--dir", "/proc/x"], "--dir '/proc/x': cannot write the example"),
    ("journal last below zero", ["journal", "--last", "-5", "-c", "{config}"], "--last -5:"),
    (
        "journal unknown kind",
        ["journal", "--kind", "bogus", "-c", "{config}"],
        "unknown event kind 'bogus'; kinds: request, routed, commission",
    ),
    (
        "approve an unknown id while a question waits",
        ["inbox", "approve", "i-nope", "-c", "{config}"],
        "pending escalations: [] (other pending items: ['q-",
    ),
    ("memory of no domain", ["memory", "nowhere", "-c", "{config}"], "domains: ['notes']"),
    ("cancel no timer", ["timers", "cancel", "t-nope", "-c", "{config}"], "pending timers: []"),
]


@pytest.mark.parametrize(("case", "args", "expected"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
def test_hostile_cli_input_is_one_typed_error_line_exit_2(
    starter: Path, case: str, args: list[str], expected: str
) -> None:
    (starter.parent / "afile").write_text("not a folder", encoding="utf-8")
    assert cli("ask", "hello there", "-c", str(starter)).exit_code == 0  # a router question
    filled = [a.format(tmp=starter.parent, config=starter) for a in args]
    result = cli(*filled)
    assert result.exit_code == 2, (case, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_invalid_utf8_in_argv_is_one_typed_error_line_exit_2(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("prefrontal")
    done = subprocess.run(
        [str(exe).encode(), b"ask", b"caf\xe9"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode == 2, done
    lines = done.stderr.decode().splitlines()
    assert lines == ["error: argument 'caf\\xe9' is not valid UTF-8; pass text in UTF-8 (check "
                     "the terminal's or the calling program's encoding)"]  # fmt: skip


# -- text that reaches the terminal -------------------------------------------------------------

HOSTILE_REPLY = "[/oops] [link=https://evil.example]click[/link] \x1b]8;;x\x07\x1b[2J \u202eevil"


def test_a_reply_with_markup_and_escapes_prints_as_inert_text(
    write_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(
        """
        [journal]
        url = "sqlite:///echo.db"
        [domains.echo]
        charter = "Echo."
        policy = "echo_policy:echo"
        keywords = ["echo"]
        """,
        echo_policy=f"""
        from prefrontal import Decision, ReplyAction, RoutedEvent

        def echo(state, event):
            if isinstance(event, RoutedEvent):
                return Decision.of(ReplyAction(text={HOSTILE_REPLY!r}))
            return Decision.of()
        """,
    )
    result = cli("ask", "echo this", "-c", str(tmp_path / "prefrontal.toml"))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "\x07" not in result.stdout
    assert "[/oops] [link=https://evil.example]click[/link] \\x1b]8;;x\\x07\\x1b[2J evil" in (
        result.stdout
    )
    shown = cli("inbox", "--all", "-c", str(tmp_path / "prefrontal.toml"))
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.stdout
    assert "[link=https://evil.example]" in flat(shown.stdout)
    journal = cli("journal", "-c", str(tmp_path / "prefrontal.toml"))
    assert "\x1b" not in journal.stdout
    assert "[/oops]" in journal.stdout


def test_a_failed_report_s_error_prints_as_its_message(
    write_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(
        """
        [journal]
        url = "sqlite:///fail.db"
        [workers.broken]
        function = "broken_tools:broken"
        retries = 0
        [domains.fail]
        charter = "Fails."
        policy = "broken_policy:fail"
        workers = ["broken"]
        keywords = ["fail"]
        """,
        broken_tools="""
        def broken(text: str) -> str:
            raise ValueError("the disk is on fire")
        """,
        broken_policy="""
        from prefrontal import CommissionAction, Decision, ReplyAction, Report, RoutedEvent

        def fail(state, event):
            if isinstance(event, RoutedEvent):
                return Decision.of(CommissionAction(worker="broken", inputs={"text": "x"}))
            if isinstance(event, Report):
                return Decision.of(ReplyAction(text=f"broken failed: {event.error}"))
            return Decision.of()
        """,
    )
    result = cli("ask", "fail now", "-c", str(tmp_path / "prefrontal.toml"))
    assert result.exit_code == 0, result.output
    (reply,) = [line for line in result.stdout.splitlines() if line.startswith("→ fail:")]
    assert reply.startswith("→ fail: broken failed: ")
    assert "code=" not in reply
    assert reply.endswith(")")  # "<message> (<code>)"


def test_ask_while_run_follow_drives_is_routed_by_the_follower(household: Path) -> None:
    exe = Path(sys.executable).with_name("prefrontal")
    env = {k: v for k, v in os.environ.items() if k != "PREFRONTAL_CONFIG"}
    follower = subprocess.Popen(
        [str(exe), "run", "--follow", "--poll", "0.1", "-c", str(household)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert "Driving" in follower.stdout.readline()  # it holds the lock now
        result = cli("ask", "my steps were 10 20 30", "-c", str(household))
        assert result.exit_code == 0, result.output
        assert "→ health:" in result.stdout or "the driving process routed it" in result.stdout
        assert follower.poll() is None, "the follower must still be driving"
        routed = json_lines(
            cli("journal", "--json", "--kind", "routed", "-c", str(household)).stdout
        )
        assert [r["domain"] for r in routed] == ["health"]
    finally:
        follower.send_signal(2)
        follower.wait(timeout=30)


def test_ids_never_wrap_at_80_columns(starter: Path) -> None:
    assert cli("ask", "hello there", "-c", str(starter)).exit_code == 0
    (question,) = pending_ids(starter)
    result = CliRunner().invoke(app, ["inbox", "-c", str(starter)], env={**ENV, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert question in result.stdout  # whole, on one line
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_timers_list_and_cancel_and_a_domain_s_memory(household: Path) -> None:
    config = str(household)
    assert cli("ask", "turn the lights off at 23:59", "-c", config).exit_code == 0
    listed = cli("timers", "-c", config)
    assert listed.exit_code == 0, listed.output
    (timer_id,) = re.findall(r"t-home-\d+-\d+", listed.stdout)
    assert table_row(listed.stdout, timer_id)[1:3] == ["home", "lights off"]
    cancelled = cli("timers", "cancel", timer_id, "-c", config)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"Cancelled timer {timer_id} (home: lights off)." in cancelled.stdout
    assert "Pending timers (0)" in cli("timers", "-c", config).stdout
    assert table_row(cli("timers", "--all", "-c", config).stdout, timer_id)[-1] == "cancelled"

    assert cli("ask", "my steps were 4000 6000 8000", "-c", config).exit_code == 0
    memory = cli("memory", "health", "-c", config)
    assert memory.exit_code == 0, memory.output
    assert "health: 2 decisions" in memory.stdout
    assert "note Steps: mean 6000, median 6000, best 8000" in flat(memory.stdout)
