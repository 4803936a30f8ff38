"""cxr.evaluation.markdown: the one table layout, intervals, and the outputs kept in results pages."""
from __future__ import annotations

import pandas as pd
import pytest

from cxr.evaluation.markdown import format_estimate, frame_table, table, write_output


def test_table_layout_with_right_aligned_counts():
    text = table(["model", "n", "AUC"], [["a", 3, "0.9"], ["b", 12, "0.8"]], align="lrl")
    assert text == ("| model | n | AUC |\n"
                    "| --- | ---: | --- |\n"
                    "| a | 3 | 0.9 |\n"
                    "| b | 12 | 0.8 |")


def test_table_defaults_to_left_and_frame_table_drops_the_index():
    frame = pd.DataFrame({"x": [1, 2], "y": ["u", "v"]}, index=[10, 20])
    assert frame_table(frame) == "| x | y |\n| --- | --- |\n| 1 | u |\n| 2 | v |"


@pytest.mark.parametrize("align", ["l", "lx", "lrl"])
def test_table_refuses_an_alignment_that_does_not_fit(align):
    with pytest.raises(ValueError, match="align"):
        table(["a", "b"], [], align=align)


def test_table_refuses_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="cells"):
        table(["a", "b"], [[1, 2, 3]])


def test_format_estimate_styles_and_missing_values():
    metric = {"value": 0.95, "ci95": [0.93, 0.9712]}
    assert format_estimate(metric) == "0.950 (0.930-0.971)"
    assert format_estimate(metric, brackets=True) == "0.950 [0.930, 0.971]"
    assert format_estimate(metric, digits=1) == "0.9 (0.9-1.0)"
    assert format_estimate({"value": 0.5, "ci95": [None, None]}) == "0.500"
    assert format_estimate({"value": 0.5, "ci95": None}) == "0.500"
    assert format_estimate({"value": None, "ci95": [0.1, 0.2]}) == "n/a"
    assert format_estimate(None, missing="—") == "—"


def test_write_output_keeps_prose_and_replaces_only_the_same_commands_output(tmp_path):
    page = tmp_path / "results" / "study.md"
    write_output(page, "python -m studies.x a", "| t |\n| --- |\n| 1 |", "A study")
    text = page.read_text()
    assert text.startswith("# A study\n")
    assert "<!-- output of: python -m studies.x a -->\n\n| t |\n| --- |\n| 1 |\n\n<!-- end of output -->" in text
    page.write_text(text.replace("# A study\n", "# A study\n\nWhat it means: prose.\n"))
    write_output(page, "python -m studies.x b", "second", "A study")
    write_output(page, "python -m studies.x a", "| t |\n| --- |\n| 2 |", "A study")
    text = page.read_text()
    assert "What it means: prose." in text
    assert "| 2 |" in text and "| 1 |" not in text
    assert text.count("<!-- output of:") == 2 and text.count("<!-- end of output -->") == 2
    assert text.index("studies.x a") < text.index("studies.x b")  # replaced in place
