"""The serving engine: `Predictor` on real X-rays, its decisions, pictures, threads and imports.

`served_model_dir` is models/bundled when installed, else the tiny model exported in the test
session. Tests of a trained model's judgement skip on the tiny one (its accuracy means nothing);
the others check behaviour that holds for any model.
"""
from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cxr.inference import ImageError, ModelNotInstalled, Prediction, Predictor, resolve_model_dir
from cxr.inference.card import BUNDLED_MODEL_DIR
from cxr.inference.guard.detectors import MahalanobisDetector
from cxr.inference.rendering import png_bytes

REPO_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def predictor(served_model_dir) -> Predictor:
    return Predictor.load(served_model_dir)


@pytest.fixture(scope="module")
def xrays(xray_paths) -> list[Path]:
    return [p for label in sorted(xray_paths) for p in xray_paths[label][:4]]


@pytest.fixture
def trained_predictor(predictor, served_model_is_tiny) -> Predictor:
    if served_model_is_tiny:
        pytest.skip("judges a trained model's decisions: models/bundled is not installed "
                    "(or set CXR_TEST_MODEL_DIR)")
    return predictor


def png(array: np.ndarray) -> bytes:
    return png_bytes(Image.fromarray(array))


def test_inference_package_never_imports_torch(served_model_dir, xrays):
    code = (
        "import sys; import cxr.inference as ci; "
        f"p = ci.Predictor.load({str(served_model_dir)!r}); p.predict({str(xrays[0])!r}); "
        "heavy = [m for m in ('torch', 'timm', 'sklearn', 'pandas', 'matplotlib') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_DIR, timeout=120)


def test_reading_of_real_xrays_follows_the_contract(predictor, xrays):
    size = predictor.input_size
    for path in xrays:
        reading = predictor.predict(path)
        assert isinstance(reading, Prediction)
        assert list(reading.probabilities) == predictor.classes
        assert sum(reading.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert reading.source_format in ("png", "jpeg")
        np.testing.assert_array_equal(reading.image, np.asarray(Image.open(path).convert("L")))
        assert reading.heatmap.shape == (size, size) and reading.heatmap.dtype == np.float32
        assert 0.0 <= reading.heatmap.min() and reading.heatmap.max() <= 1.0
        assert reading.model_version == predictor.card.version
        if reading.label is None:
            assert reading.reason and (reading.rejected or reading.low_confidence)
        else:
            assert reading.label == max(reading.probabilities, key=reading.probabilities.get)
            assert reading.reason is None and not reading.rejected and not reading.low_confidence
        assert set(reading.to_json()) == {"label", "probabilities", "rejected", "reason",
                                          "prediction_set", "uncertain", "warnings"}


def test_pictures_have_matching_sizes(predictor, xrays):
    reading = predictor.predict(xrays[0])
    image = Image.open(io.BytesIO(reading.image_png()))
    heat = Image.open(io.BytesIO(reading.heatmap_png()))
    overlay = Image.open(io.BytesIO(reading.overlay_png(opacity=0.5)))
    height, width = reading.image.shape
    assert image.size == heat.size == overlay.size == (width, height)  # shared images are <= 512 px
    assert image.mode == "L" and heat.mode == "RGBA" and overlay.mode == "RGB"
    assert np.asarray(heat)[..., 3].max() == 255  # the hottest spot is opaque, cold parts clear
    big = Prediction(**{**reading.__dict__, "image": np.zeros((3000, 1500), np.uint8)})
    assert Image.open(io.BytesIO(big.overlay_png())).size == (512, 1024)


def test_bytes_paths_and_batches_agree(predictor, xrays):
    one_by_one = [predictor.predict(p.read_bytes()) for p in xrays]
    batch = predictor.predict_batch(xrays)
    for single, batched in zip(one_by_one, batch, strict=True):
        assert batched.label == single.label and batched.rejected == single.rejected
        for name in predictor.classes:
            assert batched.probabilities[name] == pytest.approx(single.probabilities[name], abs=1e-5)
        np.testing.assert_allclose(batched.heatmap, single.heatmap, atol=1e-4)


def test_batch_with_a_bad_file_raises_or_returns_the_error(predictor, xrays):
    items = [xrays[0], b"not an image", xrays[1]]
    with pytest.raises(ImageError):
        predictor.predict_batch(items)
    results = predictor.predict_batch(items, errors="return")
    assert isinstance(results[0], Prediction) and isinstance(results[2], Prediction)
    assert isinstance(results[1], ImageError) and results[1].code == "unsupported_format"


def test_concurrent_requests_get_the_same_answers(predictor, xrays):
    expected = {str(p): predictor.predict(p).probabilities for p in xrays}
    jobs = [xrays[i % len(xrays)] for i in range(3 * len(xrays))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        readings = list(pool.map(predictor.predict, jobs))
    for path, reading in zip(jobs, readings, strict=True):
        for name, p in expected[str(path)].items():
            assert reading.probabilities[name] == pytest.approx(p, abs=1e-5)


def test_low_confidence_threshold_from_the_card_withholds_the_label(predictor, xrays):
    card = predictor.card
    always_sure = Predictor(predictor.model_dir, predictor.session, card.replace(low_confidence_threshold=0.0),
                            predictor.detector)
    never_sure = Predictor(predictor.model_dir, predictor.session, card.replace(low_confidence_threshold=1.01),
                           predictor.detector)
    accepted = 0
    for path in xrays:
        sure, unsure = always_sure.predict(path), never_sure.predict(path)
        if sure.rejected:
            continue
        accepted += 1
        assert sure.label == max(sure.probabilities, key=sure.probabilities.get) and not sure.low_confidence
        assert unsure.label is None and unsure.low_confidence and not unsure.rejected
        assert "Uncertain" in unsure.reason and unsure.probabilities == sure.probabilities
    assert accepted >= 3


def test_temperature_from_the_card_is_applied(predictor, xrays):
    hot = Predictor(predictor.model_dir, predictor.session, predictor.card.replace(temperature=1e6),
                    predictor.detector)
    reading = hot.predict(xrays[0])
    for p in reading.probabilities.values():
        assert p == pytest.approx(1 / len(predictor.classes), abs=1e-4)


def test_missing_model_raises_model_not_installed(tmp_path, monkeypatch):
    with pytest.raises(ModelNotInstalled, match="cxr export"):
        Predictor.load(tmp_path)
    monkeypatch.setenv("CXR_MODEL_DIR", str(tmp_path))
    assert resolve_model_dir() == tmp_path
    with pytest.raises(ModelNotInstalled):
        Predictor.load()
    assert resolve_model_dir(tmp_path / "explicit") == tmp_path / "explicit"  # explicit wins
    monkeypatch.delenv("CXR_MODEL_DIR")
    assert resolve_model_dir() == BUNDLED_MODEL_DIR


# --- the OOD guard ----------------------------------------------------------------------------

def test_blank_colour_and_tiny_pictures_are_refused_with_a_reason(predictor, xray_paths):
    photo = np.asarray(Image.open(xray_paths["normal"][0]).convert("RGB")).copy()
    photo[..., 0] = 255 - photo[..., 0]  # strongly coloured everywhere
    cases = {
        "blank": np.full((400, 400), 255, np.uint8),
        "dark": np.zeros((300, 500), np.uint8),
        "colour": photo,
        "tiny": np.asarray(Image.open(xray_paths["normal"][0]).convert("L").resize((40, 40))),
    }
    for name, arr in cases.items():
        reading = predictor.predict(png(arr))
        assert reading.rejected and reading.label is None, name
        assert reading.reason.startswith("This does not look like a frontal chest X-ray"), name


def test_a_tinted_photo_of_an_xray_is_refused_and_the_grey_file_as_rgb_is_not(predictor, xray_paths):
    grey = np.asarray(Image.open(xray_paths["normal"][0]).convert("RGB"), np.float32)
    as_rgb_jpeg = io.BytesIO()
    Image.fromarray(grey.astype(np.uint8)).save(as_rgb_jpeg, format="JPEG", quality=85)
    warm_light = np.clip(grey * np.array([1.08, 1.0, 0.93]), 0, 255).astype(np.uint8)  # a lightbox's cast
    tinted = predictor.predict(png(warm_light))
    assert tinted.rejected and tinted.label is None and tinted.reason.code == "not_cxr_tinted"
    assert "colour tint" in tinted.reason
    reading = predictor.predict(as_rgb_jpeg.getvalue())
    assert reading.reason is None or reading.reason.code != "not_cxr_tinted"


def test_photos_noise_and_documents_are_refused_by_a_trained_model(trained_predictor):
    predictor = trained_predictor
    from cxr.data.negatives import build_negative_set

    negatives = [n for n in build_negative_set() if n.kind in ("photo-grey", "synthetic", "document")]
    readings = predictor.predict_batch([n.data for n in negatives])
    refused = np.mean([r.rejected for r in readings])
    # 0.85, below the 0.95 goal for the whole set: the threshold leaves room for sick lungs and for
    # X-rays from hospitals the model never saw, and grey photos pay for it (cxr/export/bundle.py).
    assert refused >= 0.85, f"refused only {refused:.0%} of {len(negatives)} grey photos, noise, documents"
    noise = np.random.default_rng(0).integers(0, 256, (512, 512), dtype=np.uint8)
    assert predictor.predict(png(noise)).rejected


def test_real_xrays_are_accepted_by_a_trained_model(trained_predictor, xray_paths):
    predictor = trained_predictor
    paths = [p for label in sorted(xray_paths) for p in xray_paths[label]]
    accepted = np.mean([not r.rejected for r in predictor.predict_batch(paths)])
    assert accepted >= 0.9, f"refused {1 - accepted:.0%} of {len(paths)} real X-rays"


def test_mahalanobis_detector_refuses_about_the_target_share_and_far_points():
    rng = np.random.default_rng(0)
    k = 64
    scales = np.linspace(0.5, 3.0, k)
    def sample(n, label):
        centre = np.zeros(k)
        centre[label] = 4.0
        return centre + rng.normal(size=(n, k)) * scales

    train = np.vstack([sample(600, c) for c in range(3)])
    labels = np.repeat(np.arange(3), 600)
    detector = MahalanobisDetector.fit(train, labels)
    detector.set_threshold(np.vstack([sample(300, c) for c in range(3)]), false_refusal=0.05)
    fresh = np.vstack([sample(1000, c) for c in range(3)])
    refused = (detector.scores(fresh) > detector.threshold).mean()
    assert 0.02 < refused < 0.09  # about the 5% asked for, on data it has never seen
    far = fresh[:200] + rng.normal(size=(200, k)) * 6.0
    assert (detector.scores(far) > detector.threshold).mean() > 0.99
    assert 0.0 < detector.shrinkage < 1.0


def test_detector_statistics_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    detector = MahalanobisDetector.fit(rng.normal(size=(200, 16)), np.arange(200) % 2)
    detector.set_threshold(rng.normal(size=(50, 16)))
    detector.save(tmp_path / "ood.npz")
    loaded = MahalanobisDetector.load(tmp_path / "ood.npz")
    points = rng.normal(size=(20, 16))
    np.testing.assert_allclose(loaded.scores(points), detector.scores(points), rtol=1e-4)
    assert loaded.threshold == detector.threshold


def test_the_neighbour_score_catches_what_lies_between_the_centres():
    """Two clusters on a ring: their mean, between them, is close to both centres in Mahalanobis
    terms but unlike any single training point: the k-NN cosine distance sees it."""
    from cxr.inference.guard.detectors import FeatureGuard, NearestNeighbours

    rng = np.random.default_rng(2)
    k = 32
    def cluster(n, direction):
        centre = np.zeros(k)
        centre[direction] = 10.0
        return centre + rng.normal(size=(n, k)) * 0.5

    train = np.vstack([cluster(400, 0), cluster(400, 1)])
    validation = np.vstack([cluster(200, 0), cluster(200, 1)])
    between = (cluster(100, 0) + cluster(100, 1)) / 2  # a direction no training point has

    neighbours = NearestNeighbours.fit(train, k=10)
    neighbours.set_threshold(validation, 0.02)
    assert (neighbours.scores(between) > neighbours.threshold).all()
    assert (neighbours.scores(cluster(500, 1)) > neighbours.threshold).mean() < 0.06

    for combine in ("mean", "max"):
        guard = FeatureGuard.fit(train, np.repeat([0, 1], 400), combine=combine)
        guard.set_threshold(validation, 0.02)
        assert (guard.scores(validation) > guard.threshold).mean() <= 0.02
        fresh = np.vstack([cluster(500, 0), cluster(500, 1)])
        assert (guard.scores(fresh) > guard.threshold).mean() < 0.05  # about the 2% asked for
        assert (guard.scores(between) > guard.threshold).all()


def test_the_guard_margin_moves_the_threshold_out_by_that_factor():
    from cxr.inference.guard.detectors import FeatureGuard

    rng = np.random.default_rng(4)
    train, validation = rng.normal(size=(400, 16)), rng.normal(size=(200, 16))
    guard = FeatureGuard.fit(train, np.arange(400) % 2)
    plain = guard.set_threshold(validation, 0.02)
    assert guard.set_threshold(validation, 0.02, margin=1.1) == pytest.approx(1.1 * plain)
    shifted = rng.normal(size=(500, 16)) * 1.15  # a new hospital: a little farther out
    assert (guard.scores(shifted) > guard.threshold).mean() < (guard.scores(shifted) > plain).mean()
    with pytest.raises(ValueError, match="margin"):
        FeatureGuard.fit(train, np.arange(400) % 2, combine="max").set_threshold(validation, margin=1.1)


def test_the_guard_combines_by_default_as_the_bundled_model_serves():
    from cxr.inference.card import ModelCard
    from cxr.inference.guard.detectors import DEFAULT_COMBINE, FeatureGuard, load_detector

    fitted = FeatureGuard.fit(np.random.default_rng(5).normal(size=(100, 8)), np.arange(100) % 2)
    built = FeatureGuard(fitted.mahalanobis, fitted.neighbours)
    served = load_detector(BUNDLED_MODEL_DIR / "ood.npz").combine
    assert built.combine == fitted.combine == DEFAULT_COMBINE
    assert DEFAULT_COMBINE == served == ModelCard.load(BUNDLED_MODEL_DIR).ood.combine


def test_feature_guard_round_trip_and_old_files_still_load(tmp_path):
    from cxr.inference.guard.detectors import FeatureGuard, load_detector

    rng = np.random.default_rng(3)
    guard = FeatureGuard.fit(rng.normal(size=(300, 16)), np.arange(300) % 3)
    guard.set_threshold(rng.normal(size=(80, 16)))
    guard.save(tmp_path / "guard.npz")
    loaded = load_detector(tmp_path / "guard.npz")
    assert isinstance(loaded, FeatureGuard)
    assert (loaded.combine, loaded.threshold) == ("mean", guard.threshold)
    points = rng.normal(size=(20, 16))
    np.testing.assert_allclose(loaded.scores(points), guard.scores(points), rtol=1e-2)  # float16 store

    # A guard file from before the mean (no combine/threshold keys) is read as max, threshold 1.
    before = {k: v for k, v in guard.arrays().items() if not k.startswith("guard_")}
    np.savez_compressed(tmp_path / "before.npz", **before)
    older = load_detector(tmp_path / "before.npz")
    assert (older.combine, older.threshold) == ("max", 1.0)

    old = MahalanobisDetector.fit(rng.normal(size=(200, 16)), np.arange(200) % 2)
    old.set_threshold(rng.normal(size=(50, 16)))
    old.save(tmp_path / "old.npz")
    assert isinstance(load_detector(tmp_path / "old.npz"), MahalanobisDetector)


def test_dicom_header_of_another_modality_or_a_lateral_view_is_refused(predictor, xray_paths):
    pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    gray = np.asarray(Image.open(xray_paths["normal"][0]).convert("L"))

    def dicom(**header) -> bytes:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset("x.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
        ds.Rows, ds.Columns = gray.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        for key, value in header.items():
            setattr(ds, key, value)
        ds.PixelData = gray.tobytes()
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        return buffer.getvalue()

    assert "modality is CT" in predictor.predict(dicom(Modality="CT")).reason
    assert "lateral" in predictor.predict(dicom(Modality="DX", ViewPosition="LL")).reason
    frontal = predictor.predict(dicom(Modality="DX", ViewPosition="PA", BodyPartExamined="HAND"))
    assert frontal.source_format == "dicom"
    assert any("HAND" in w for w in frontal.warnings)
