"""What the generated OpenAPI document needs beyond type hints (served at /api/v1/openapi.json).

django-ninja writes the paths, parameters and bodies from api_views.py and api_schemas.py. This
module adds, per operation: the problem responses it can give (every status the API answers is
documented), binary bodies, the multipart upload and what a valid upload is, response headers,
and OpenAPI links (upload -> read -> delete) that let a stateful client or fuzzer follow real
workflows. `document()` then writes the result in the OpenAPI 3.0.3 dialect (`nullable`), which
more client generators read than 3.1, and which API 2.0.0 clients already parse.
"""
from __future__ import annotations

import copy

from django.conf import settings

from cxr.inference.decode import MAX_PIXELS, SUPPORTED

DESCRIPTION = (
    "Screen frontal chest X-rays (PNG, JPEG, TIFF, BMP, DICOM) for findings consistent with COVID-19 or "
    "pneumonia. A screening aid, not a diagnosis: a clinician and an RT-PCR test decide. "
    "Readings are private to the key's owner.\n\n"
    "**Authentication:** `Authorization: Token <key>` (keys are made, listed and revoked on the "
    "API key page of the web app; each has an expiry and a rate limit). GET also accepts a "
    "signed-in browser session.\n\n"
    "**Errors** are RFC 9457 problem details with a stable `code` (`application/problem+json` "
    "when the Accept header asks for it, else `application/json`), for every status under "
    "/api/, including 404 for unknown routes, 405 (with Allow) for a method a route does not "
    "take, 414 for a request line over 8190 bytes and 500.\n\n"
    "**Paging:** `next` and `previous` links in the body (and an RFC 8288 Link header).\n\n"
    "**Retries:** send an `Idempotency-Key` with uploads.\n\n"
    "Since 2.0.0 each warning is an object {code, message}; 2.1.0 added the batch upload, "
    "Idempotency-Key and problem details (the `error` member of 2.0 errors is kept); 2.2.0 "
    "queues a batch's files (202 with the batch's status URL, GET /batches/{id}/) instead of "
    "reading them in the request; 2.3.0 adds `emergency` to every reading; 2.4.0 takes a "
    "doctor's `patient_reference` (or `reference_from_dicom`) with an upload, and gives each "
    "reading `taken_on`, the day its DICOM header says the X-ray was taken; 2.5.0 adds "
    "`heatmap_class`, the class the heat map shows."
)

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_RETRY_AFTER = {"Retry-After": {"required": True, "description": "Seconds to wait",
                                "schema": {"type": "integer", "minimum": 1}}}


def _problem(description: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {media: {"schema": _PROBLEM}
                            for media in ("application/json", "application/problem+json")}}
    if headers:
        response["headers"] = headers
    return response


def _binary(media_type: str, description: str) -> dict:
    return {"description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}


# What one file of either upload must be; the limits come from the code that enforces them.
_ONE_XRAY = (f"one frontal (PA or AP) chest X-ray as {SUPPORTED} (DICOM: any transfer syntax "
             f"GDCM reads)")
_MEGAPIXELS = f"{MAX_PIXELS // 1_000_000} megapixels"


def _upload_description() -> str:
    limit = int(settings.MAX_UPLOAD_BYTES)
    return (
        f"A valid upload is {_ONE_XRAY}, at most {limit} bytes ({limit // 2**20} MiB) and "
        f"{_MEGAPIXELS}. Anything else gets a problem and stores nothing: another file type -> "
        f"415 unsupported_format; an empty, truncated or undecodable file -> 422 empty_file or "
        f"corrupt_image; a readable image that is not a frontal chest X-ray (a photo, a "
        f"document, a CT slice, a side view, another body part, or a picture the model finds "
        f"too unlike chest X-rays) -> 422 not_a_chest_xray with `advice`; too many bytes or "
        f"pixels -> 413 too_large or image_too_large.")


def _batch_upload_description() -> str:
    limit = int(settings.MAX_UPLOAD_BYTES)
    return (
        f"Each file should be {_ONE_XRAY}, of at most {_MEGAPIXELS}; all the files together at most "
        f"{limit} bytes ({limit // 2**20} MiB): a larger body is refused at once with 413 "
        f"too_large and nothing is queued. Otherwise the request answers 202 and the files are "
        f"read later, one by one: a file that is not a chest X-ray or cannot be read does not "
        f"refuse the request; its item in the batch's status (getBatch) turns `refused` with the "
        f"problem a single upload of it would have answered (unsupported_format, empty_file, "
        f"corrupt_image, not_a_chest_xray with `advice`, image_too_large, "
        f"model_not_installed, model_unusable, site_calibration_unusable), while the other files "
        f"are read.")


# The upload form's reference fields (forms.UploadForm), for every file of the request. The
# empty default and example keep Swagger UI's "Try it out" from filling the optional text with
# its placeholder "string" (a patient's upload was refused 403, a doctor's kept "string"): ""
# is read as no reference.
_REFERENCE_FIELDS = {
    "patient_reference": {
        "type": "string", "maxLength": 64, "default": "", "example": "",
        "description": "Optional, doctors' accounts only: your own reference for the patient "
                       "(e.g. a record number; avoid names), kept with the reading (with every "
                       "reading of a batch), invisible characters dropped and white space runs "
                       "made one space; the 64 characters are counted after that. A patient's or "
                       "pending doctor's account that sends a non-empty one gets 403 "
                       "reference_for_doctors and nothing is stored."},
    "reference_from_dicom": {
        "type": "boolean", "default": False,
        "description": "Optional, doctors' accounts only: with no patient_reference, use each "
                       "DICOM file's PatientID as its reference (other files get none)."},
}


def _upload_body(field: str, many: bool) -> dict:
    item = {"type": "string", "format": "binary"}
    schema = ({"type": "array", "items": item, "minItems": 1, "maxItems": 10} if many else item)
    what = ("The X-rays, one part per file (at most 10; all files together within the size "
            "limit)" if many else "The X-ray")
    description = _batch_upload_description() if many else _upload_description()
    return {"required": True, "description": description, "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": [field],
                       "properties": {field: {**schema, "description": what}, **_REFERENCE_FIELDS}},
            "encoding": {field: {"contentType": "image/png, image/jpeg, application/dicom, "
                                                "application/octet-stream"}},
        }}}


def _reading_links(id_expression: str, prefix: str = "") -> dict:
    targets = {
        "GetReading": ("getReading", "Read the reading again"),
        "DeleteReading": ("deleteReading", "Delete the reading and its images"),
        "GetImage": ("getReadingImage", "The X-ray as stored"),
        "GetThumbnail": ("getReadingThumbnail", "Its thumbnail"),
        "GetHeatmap": ("getReadingHeatmap", "Its heat map"),
        "GetOverlay": ("getReadingOverlay", "The heat map over the X-ray"),
        "GetReport": ("getReadingReport", "Its PDF report"),
        "GetFhir": ("getReadingFhir", "Its FHIR R4 DiagnosticReport"),
    }
    return {prefix + name: {"operationId": operation, "parameters": {"id": id_expression},
                            "description": description}
            for name, (operation, description) in targets.items()}


_NOT_FOUND = _problem("No such reading (also for another user's reading): not_found")
_FILE_NOT_FOUND = _problem("No such reading (also for another user's reading): not_found; or the "
                           "reading exists but this file is missing from the server's storage "
                           "(logged for the operator): file_missing")
_UPLOAD_ERRORS = {
    409: _problem("A request with this Idempotency-Key is still running: "
                  "idempotency_key_in_use; retry after Retry-After seconds", _RETRY_AFTER),
    413: _problem("The body, the file or its pixel count is too large: too_large, image_too_large"),
    415: _problem(f"Not a {SUPPORTED} file: unsupported_format"),
    422: _problem("Empty or corrupt image (empty_file, corrupt_image), not a chest X-ray "
                  "(not_a_chest_xray, with advice; nothing is stored), or an Idempotency-Key "
                  "already used for another file (idempotency_key_reused)"),
    503: _problem("No model is installed on the server (model_not_installed), the installed model "
                  "folder is damaged or incomplete (model_unusable), or the site's own "
                  "calibration cannot be used with the installed model (site_calibration_unusable, "
                  "with the reason and, in `advice`, the fix for administrators)"),
}
_REFERENCE_ERRORS = {
    403: _problem("A patient_reference or reference_from_dicom from an account that is not a "
                  "verified doctor's: reference_for_doctors (nothing is stored)"),
}

# Per operation (by operationId): its own responses beyond the generated success response.
_OPERATIONS: dict[str, dict] = {
    "listReadings": {"responses": {
        200: {"headers": {"Link": {"description": "RFC 8288 links to the next and previous "
                                                  "pages (absent on a single page)",
                                   "schema": {"type": "string"}}},
              "links": _reading_links("$response.body#/results/0/id", "First")},
        400: _problem("page or page_size is empty, not a whole number, or out of range "
                      "(page_size over 100 is refused, not clamped): bad_request, naming the "
                      "parameter in `detail` and `errors`"),
        404: _problem("No such page: not_found"),
    }},
    "createReading": {"requestBody": _upload_body("image", many=False), "responses": {
        201: {"description": "The stored reading (or, for a retry with the same "
                             "Idempotency-Key and file, the one stored the first time)",
              "headers": {
                  "Location": {"required": True, "schema": {"type": "string", "format": "uri"},
                               "description": "The reading's URL"},
                  "Idempotent-Replayed": {"required": True,
                                          "schema": {"type": "string", "enum": ["true", "false"]},
                                          "description": "true when this answers a retry"}},
              "links": _reading_links("$response.body#/id")},
        400: _problem("No 'image' field, several of them (send those to createReadings), a "
                      "malformed body, a bad Idempotency-Key, or a patient_reference over 64 "
                      "characters: no_file, too_many_files, bad_request, invalid_reference"),
        **_UPLOAD_ERRORS, **_REFERENCE_ERRORS,
    }},
    "createReadings": {"requestBody": _upload_body("images", many=True), "responses": {
        202: {"description": "The files are stored and queued, one job per file; the body is "
                             "the batch's status (each file queued at first). Poll status_url "
                             "(getBatch) until state is finished. A retry with the same "
                             "Idempotency-Key and files answers the same batch "
                             "(Idempotent-Replayed: true) and queues nothing.",
              "headers": {
                  "Location": {"required": True, "schema": {"type": "string", "format": "uri"},
                               "description": "The batch's status URL"},
                  "Idempotent-Replayed": {"required": True,
                                          "schema": {"type": "string", "enum": ["true", "false"]},
                                          "description": "true when this answers a retry"}},
              "links": {"GetBatch": {"operationId": "getBatch",
                                     "parameters": {"id": "$response.body#/id"},
                                     "description": "The batch's progress"}}},
        400: _problem("No 'images' field, more than 10 files, a malformed body, a bad "
                      "Idempotency-Key, or a patient_reference over 64 characters: no_file, "
                      "too_many_files, bad_request, invalid_reference"),
        **_REFERENCE_ERRORS,
        413: _problem("All the files together are over the size limit: too_large (nothing is "
                      "queued; a single file's pixel count is refused in its item instead)"),
        422: _problem("The Idempotency-Key was already used for other files: "
                      "idempotency_key_reused"),
    }},
    "getBatch": {"responses": {
        200: {"description": "Each file's state (queued, reading, done with its reading, or "
                             "refused with the problem a single upload would have had)"},
        404: _problem("No such batch (also for another user's batch): not_found"),
    }},
    "getReading": {"responses": {200: {"links": {
        k: v for k, v in _reading_links("$response.body#/id").items() if k != "GetReading"}},
        404: _NOT_FOUND}},
    "deleteReading": {"responses": {204: {"description": "Deleted, with its images"},
                                    404: _NOT_FOUND}},
    "getReadingImage": {"responses": {
        200: _binary("image/png", "Grayscale PNG, at most 1024 px, no metadata"), 404: _FILE_NOT_FOUND}},
    "getReadingThumbnail": {"responses": {
        200: _binary("image/png", "PNG, at most 256 px"), 404: _FILE_NOT_FOUND}},
    "getReadingHeatmap": {"responses": {
        200: _binary("image/png", "Transparent RGBA PNG, the X-ray's aspect ratio, at most "
                                  "256 px: stretch it over image.png"), 404: _FILE_NOT_FOUND}},
    "getReadingOverlay": {"responses": {200: _binary("image/png", "RGB PNG"), 404: _FILE_NOT_FOUND}},
    "getReadingReport": {"responses": {
        200: _binary("application/pdf", "PDF. A picture missing from the server's storage is left out "
                     "and a sentence says so (logged for the operator); the findings are all there."),
        404: _NOT_FOUND}},
    "getReadingFhir": {"responses": {200: {
        "description": "A FHIR R4 DiagnosticReport (status preliminary: an AI estimate, not a "
                       "diagnosis) with one contained Observation per class probability",
        "content": {"application/fhir+json": {"schema": {
            "type": "object", "required": ["resourceType", "status", "code", "contained",
                                           "result"],
            "properties": {"resourceType": {"type": "string", "enum": ["DiagnosticReport"]},
                           "status": {"type": "string", "enum": ["preliminary"]},
                           "contained": {"type": "array", "items": {"type": "object"}},
                           "result": {"type": "array", "items": {"type": "object"}}}}}}},
        404: _NOT_FOUND}},
    "getOpenApi": {"responses": {200: {"description": "OpenAPI 3.0 JSON", "content": {
        "application/json": {"schema": {"type": "object"}}}}}},
}

# Every operation can answer these (a key-less one neither 401 nor 429).
_EVERYWHERE = {
    400: _problem("The request could not be read (e.g. a bad Host header): bad_request"),
    414: _problem("The request line is over 8190 bytes: uri_too_long"),
    500: _problem("The server failed; the error is logged: server_error"),
}
_WITH_KEY = {
    401: _problem("No, an unknown or an expired API key (not_authenticated, token_expired); "
                  "POST and DELETE never accept a session",
                  {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}),
    429: _problem("This key's rate limit is used up: rate_limited", _RETRY_AFTER),
}


def operation(operation_id: str) -> dict:
    """openapi_extra of one operation (django-ninja merges it into what it generates)."""
    return copy.deepcopy(_OPERATIONS.get(operation_id, {}))


def _add_common_responses(paths: dict) -> None:
    for methods in paths.values():
        for op in methods.values():
            # django-ninja keys responses by int, JSON by string: one key per status.
            responses = op["responses"] = {str(k): v for k, v in op.get("responses", {}).items()}
            common = {**_EVERYWHERE, **(_WITH_KEY if op.get("security") else {})}
            for status, response in common.items():
                if str(status) not in responses:
                    responses[str(status)] = copy.deepcopy(response)


def to_openapi_30(node):
    """JSON Schema as Pydantic writes it (OpenAPI 3.1) -> the OpenAPI 3.0 dialect:
    `anyOf: [X, {type: null}]` -> X with `nullable: true`; `examples: [..]` -> `example`;
    `const` -> a one-value `enum`."""
    if isinstance(node, list):
        return [to_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: to_openapi_30(value) for key, value in node.items()}
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        others = [v for v in variants if v != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(others) == 1 and "$ref" in others[0]:
            node = {"allOf": others, **rest}
        elif len(others) == 1:
            node = {**others[0], **rest}
        else:
            node = {"anyOf": others, **rest}
        node["nullable"] = True
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    if isinstance(node.get("examples"), list) and "type" in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node


def document(api) -> dict:
    """The served OpenAPI document: generated by django-ninja, completed here."""
    schema = dict(api.get_openapi_schema(path_prefix=""))
    schema = to_openapi_30(copy.deepcopy(schema))
    schema["openapi"] = "3.0.3"
    # Relative to the document's own URL, so it is right behind any host, port or proxy.
    schema["servers"] = [{"url": "/api/v1"}]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in components:
        from .api_schemas import Problem

        generated = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(to_openapi_30(generated.pop("$defs", {})))
        components["Problem"] = to_openapi_30(generated)
    _add_common_responses(schema["paths"])
    return schema
