"""`manage.py model_status`: say which model the app will serve, or that none is installed.

`make run` calls it before serving so that a missing model is visible at start-up. It always
exits 0: the app still serves its other pages without a model (screening then says so).
"""
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print which chest X-ray model the web app will serve (exit status 0 either way)."

    def handle(self, *args, **options):
        model_dir = settings.CXR_MODEL_DIR or None
        try:
            # Imported here: the inference package loads onnxruntime, which other commands
            # (migrate, import_hospitals) do not need.
            from cxr.inference import ModelNotInstalled, Predictor

            missing_model_errors = (ModelNotInstalled, FileNotFoundError)
        except ImportError as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: cannot import cxr.inference ({exc})"))
            return
        try:
            predictor = Predictor.load(model_dir)
        except missing_model_errors as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: {exc}"))
            return
        except Exception as exc:  # a broken model must not stop the rest of the app starting
            self.stdout.write(self.style.ERROR(f"No model installed: the model could not be loaded ({exc})"))
            return
        card = predictor.card
        architecture = card.get("architecture") or "?"
        if isinstance(architecture, dict):  # the exporter writes {"name": ..., "timm_name": ...}
            architecture = architecture.get("name") or "?"
        classes = ", ".join(card.get("classes", []))
        self.stdout.write(
            self.style.SUCCESS(
                f"Model: {card.get('name', '?')} version {card.get('version', '?')} "
                f"({architecture}; classes: {classes}) from {predictor.model_dir}"
            )
        )
