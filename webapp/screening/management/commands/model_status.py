"""`manage.py model_status`: say which model the app will serve, or that none is installed.

`make run` calls it before serving so that a missing model is visible at start-up. It always
exits 0: the app still serves its other pages without a model (screening then says so).
"""
from django.core.management.base import BaseCommand

from webapp.screening.engine import (
    configured_model_dir,
    configured_site_calibration_file,
    load_site_calibration,
)


class Command(BaseCommand):
    help = "Print which chest X-ray model the web app will serve (exit status 0 either way)."

    def handle(self, *args, **options):
        try:
            # Imported here: the inference package loads onnxruntime, which other commands
            # (migrate, import_hospitals) do not need.
            from cxr.inference import ModelNotInstalled, Predictor

            missing_model_errors = (ModelNotInstalled, FileNotFoundError)
        except ImportError as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: cannot import cxr.inference ({exc})"))
            return
        try:
            predictor = Predictor.load(configured_model_dir())
        except missing_model_errors as exc:
            self.stdout.write(self.style.WARNING(f"No model installed: {exc}"))
            return
        except Exception as exc:  # a broken model must not stop the rest of the app starting
            self.stdout.write(self.style.ERROR(f"No model installed: the model could not be loaded ({exc})"))
            return
        card = predictor.card
        architecture = (card.architecture.name if card.architecture else None) or "?"
        self.stdout.write(
            self.style.SUCCESS(
                f"Model: {card.name or '?'} version {card.version or '?'} "
                f"({architecture}; classes: {', '.join(card.classes)}) from {predictor.model_dir}"
            )
        )
        self._site_calibration(predictor)

    def _site_calibration(self, predictor) -> None:
        """The site calibration readings will go through (CXR_SITE_CALIBRATION), if any."""
        from cxr.inference.site_calibration import SiteCalibrationError

        path = configured_site_calibration_file()
        try:
            calibration = load_site_calibration(predictor.card)
        except SiteCalibrationError as exc:
            self.stdout.write(self.style.ERROR(
                f"Site calibration {path} cannot be used: {exc}. Screening says the model is unavailable "
                "until it is fixed or CXR_SITE_CALIBRATION is unset."))
            return
        if calibration is None:
            return
        site = f", {calibration.site}" if calibration.site else ""
        self.stdout.write(self.style.SUCCESS(
            f"Site calibration: {path}, fitted on {calibration.cases} labelled X-rays ({calibration.fitted_at}{site})"))
