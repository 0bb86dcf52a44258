"""The log redactor on real log lines: personal data masked, timestamps and ids readable."""

import io
import json

import structlog

import logs


def _line(**fields: object) -> dict[str, object]:
    out = io.StringIO()
    logs.configure("json", "INFO", stream=out)
    try:
        structlog.get_logger("t").info("case.event", **fields)
    finally:
        logs.configure("console", "INFO")
    parsed: dict[str, object] = json.loads(out.getvalue())
    return parsed


def test_timestamps_run_ids_and_addresses_stay_readable() -> None:
    run_id = "01932874-1234-7123-8123-123456789012"
    line = _line(
        run_id=run_id,
        other_run="01a21f90-067b-722f-b3dc-6ba266dfea21",
        at="2026-11-28T04:07:31.564949Z",
        day="2026-11-28 04:07:31",
        address="127.0.0.1:7233",
        case_id="ICR-SCEWRQ7BJ4E4",
    )
    assert line["run_id"] == run_id
    assert line["other_run"] == "01a21f90-067b-722f-b3dc-6ba266dfea21"
    assert line["at"] == "2026-11-28T04:07:31.564949Z"
    assert line["day"] == "2026-11-28 04:07:31"
    assert line["address"] == "127.0.0.1:7233" and line["case_id"] == "ICR-SCEWRQ7BJ4E4"
    assert "[PHONE]" not in str(line["timestamp"])


def test_phones_a_numbers_e_mails_and_bound_names_are_masked() -> None:
    line = _line(
        note="call (212) 555-0143 or +1 415 555 0188 or +12125550143",
        who="maria.lopez@example.org about A-012-345-678",
        _pii=["Maria Lopez"],
        named="Maria Lopez wrote",
    )
    assert line["note"] == "call [PHONE] or [PHONE] or [PHONE]"
    assert line["who"] == "[EMAIL] about [A-NUMBER]"
    assert line["named"] == "[NAME] wrote" and "_pii" not in line


def test_an_embedding_that_never_configured_logs_still_masks_bound_names() -> None:
    """The worker's activities log through ``activity_logger``; in a process that never called
    ``configure`` (a script, a test, an embedding) structlog's defaults would print the names."""
    import subprocess
    import sys

    code = (
        "import logs\n"
        "log = logs.activity_logger('t').bind(_pii=['Maria Lopez'])\n"
        "log.info('notice.sent', to='Maria Lopez')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    printed = run.stdout + run.stderr
    assert "notice.sent" in printed and "Maria" not in printed and "_pii" not in printed


def test_a_senders_megabytes_cost_a_bounded_mask_and_a_bounded_line() -> None:
    """Found by an attack: a 400 KB activity failure message, logged by the case, held the
    worker's one interpreter for minutes (the address and phone patterns were tried from every
    position of a long run: quadratic). Linear patterns over a bounded window now."""
    import time

    hostile = ["x" * 4_000_000, "1 " * 2_000_000, "a@" * 2_000_000, "a." * 2_000_000]
    began = time.process_time()
    lines = [_line(reason=text) for text in hostile]
    assert time.process_time() - began < 5  # was minutes for a tenth of this
    for line, text in zip(lines, hostile, strict=True):
        reason = str(line["reason"])
        assert len(reason) < logs.VALUE_KEPT + 100
        assert reason.endswith(f"({len(text)} characters in all)")


def test_a_name_inside_an_address_leaves_no_part_of_the_address() -> None:
    out = io.StringIO()
    logs.configure("json", "INFO", stream=out)
    try:
        structlog.get_logger("t").bind(**{logs.PII_KEY: ["Lopez"]}).info(
            "case.event", reason="write to maria.lopez@example.org"
        )
    finally:
        logs.configure("console", "INFO")
    assert json.loads(out.getvalue())["reason"] == "write to [EMAIL]"
