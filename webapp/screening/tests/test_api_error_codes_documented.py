"""Every problem code the API's code can answer is in docs/api.md's error table, under its
status: the table lacked the 403 reference_for_doctors and the 400 invalid_reference."""
from __future__ import annotations

import re
from pathlib import Path

from cxr.inference import errors

ROOT = Path(__file__).resolve().parents[3]
SCREENING = ROOT / "webapp" / "screening"
RAISED = re.compile(r'(?:ApiProblem|problem_response)\((?:request, )?(\d{3}), "([a-z_]+)"')
REFUSED = re.compile(r'UploadRefused\(\s*(?:code=)?"([a-z_]+)"', re.S)


def _table() -> dict[int, set[str]]:
    rows = {}
    for line in (ROOT / "docs" / "api.md").read_text().splitlines():
        match = re.match(r"\| (\d{3}) \| (.*) \|$", line)
        if match:
            rows[int(match[1])] = set(re.findall(r"`([a-z_]+)`", match[2]))
    return rows


def test_every_code_the_api_answers_is_in_the_error_table():
    table = _table()
    raised = set()
    for path in SCREENING.glob("*.py"):
        raised |= {(int(status), code) for status, code in RAISED.findall(path.read_text())}
    missing = {(status, code) for status, code in raised if code not in table.get(status, set())}
    assert missing == set(), f"docs/api.md's error table lacks {sorted(missing)}"
    documented = set().union(*table.values())
    refusals = set(REFUSED.findall((SCREENING / "screen.py").read_text()))
    decoding = {cls.code for cls in vars(errors).values()
                if isinstance(cls, type) and issubclass(cls, errors.ImageError)
                and cls not in (errors.ImageError, errors.FileUnreadable)}
    assert (refusals | decoding) - documented == set()
