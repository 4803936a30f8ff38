"""`manage.py model_status`'s advice for a missing model fits how the folder was chosen: it told
an operator whose CXR_MODEL_DIR named an empty folder to "set CXR_MODEL_DIR"."""
from django.core.management import call_command


def test_a_set_model_dir_is_named_not_asked_for(tmp_path, settings, capsys):
    settings.CXR_MODEL_DIR = str(tmp_path)
    call_command("model_status")
    out = capsys.readouterr().out
    assert out.startswith(f"No model installed: No model at {tmp_path}")
    assert "or set CXR_MODEL_DIR" not in out
    assert f"CXR_MODEL_DIR is set to {tmp_path}" in out


def test_without_a_model_dir_the_advice_offers_one(tmp_path, settings, capsys, monkeypatch):
    settings.CXR_MODEL_DIR = ""
    monkeypatch.delenv("CXR_MODEL_DIR", raising=False)
    monkeypatch.setattr("cxr.inference.card.BUNDLED_MODEL_DIR", tmp_path)  # no bundled model
    call_command("model_status")
    out = capsys.readouterr().out
    assert out.startswith(f"No model installed: No model at {tmp_path}")
    assert "set CXR_MODEL_DIR to an exported model folder" in out
    assert "is set to" not in out
