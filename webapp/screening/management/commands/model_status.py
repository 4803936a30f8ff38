"""`manage.py model_status`: say which model the app will serve, or that none is installed.

`make run` calls it before serving so that a missing model is visible at start-up. It exits 0
either way: the app still serves its other pages without a model (screening then says so).
With --strict (a deploy script's check) it exits 1, after the same report, when screening
cannot be served: no model, one that cannot be loaded, lacks a part its card describes (the
lung field, the verifier) or whose card does not fit its network, or a site calibration
(CXR_SITE_CALIBRATION) that is set but cannot be used with it.
"""
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webapp.screening.engine import (
    configured_model_dir,
    configured_site_calibration_file,
    load_site_calibration,
)


class Command(BaseCommand):
    help = ("Print which chest X-ray model the web app will serve (exit status 0 either way; "
            "with --strict, 1 when screening cannot be served).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--strict", action="store_true",
            help="Exit with status 1 when no model can be served or the site calibration cannot be used.")

    def handle(self, *args, strict=False, **options):
        if not self._report() and strict:
            raise CommandError("screening cannot be served (see above)", returncode=1)

    def _report(self) -> bool:
        """Print the report; True when screening can be served."""
        try:
            # Imported here: the inference package loads onnxruntime, which other commands
            # (migrate, import_hospitals) do not need.
            from cxr.inference import ModelDamaged, ModelNotInstalled, Predictor

            missing_model_errors = (ModelNotInstalled, FileNotFoundError)
        except ImportError as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: cannot import cxr.inference ({exc})"))
            return False
        try:
            predictor = Predictor.load(configured_model_dir())
            predictor.self_check()  # as the web app does before serving: one synthetic picture
        except ModelDamaged as exc:  # its message names what is wrong and what to do
            self.stdout.write(self.style.ERROR(f"No model installed: {exc}"))
            return False
        except ModelNotInstalled as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: {self._no_model(exc)}"))
            return False
        except missing_model_errors as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: {exc}"))
            return False
        except Exception as exc:  # a broken model must not stop the rest of the app starting
            self.stdout.write(self.style.ERROR(f"No model installed: the model could not be loaded ({exc})"))
            return False
        card = predictor.card
        architecture = (card.architecture.name if card.architecture else None) or "?"
        self.stdout.write(
            self.style.SUCCESS(
                f"Model: {card.name or '?'} version {card.version or '?'} "
                f"({architecture}; classes: {', '.join(card.classes)}) from {predictor.model_dir}"
            )
        )
        return self._site_calibration(predictor)

    @staticmethod
    def _no_model(exc) -> str:
        """The engine's "No model at DIR (missing ...)." with advice in this site's words: which
        setting names the folder, and how to serve the bundled model instead."""
        where = str(exc).split("). ", 1)[0] + ")."
        chosen = getattr(settings, "CXR_MODEL_DIR", "") or os.environ.get("CXR_MODEL_DIR", "")
        if chosen:
            return (f"{where} CXR_MODEL_DIR is set to {chosen}: point it at an exported model folder "
                    "(model.onnx, model_card.json, ood.npz), or unset it to serve the bundled model.")
        return (f"{where} Export one with `python -m cxr export runs/<name>/best.pt --out "
                "models/bundled`, or set CXR_MODEL_DIR to an exported model folder.")

    def _site_calibration(self, predictor) -> bool:
        """The site calibration readings will go through (CXR_SITE_CALIBRATION), if any; False
        when one is set that the predictor would refuse."""
        from cxr.inference.site_calibration import SiteCalibrationError

        path = configured_site_calibration_file()
        try:
            calibration = load_site_calibration(predictor.card)
        except SiteCalibrationError as exc:
            self.stdout.write(self.style.ERROR(
                f"Site calibration {path} cannot be used: {exc}. Screening says so (the upload page, "
                "and the API with 503 site_calibration_unusable) until it is fitted again for this model "
                "or CXR_SITE_CALIBRATION is unset."))
            return False
        if calibration is None:
            return True
        site = f", {calibration.site}" if calibration.site else ""
        self.stdout.write(self.style.SUCCESS(
            f"Site calibration: {path}, fitted on {calibration.cases} labelled X-rays ({calibration.fitted_at}{site})"))
        return True
