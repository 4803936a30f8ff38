"""The OpenAPI 3 description of /api/v1/, written by hand (served at /api/v1/openapi.json).

Keep it in step with api_views.py; tests check that every route here exists and vice versa.
"""
from __future__ import annotations

OUTCOMES = ["covid", "pneumonia", "normal", "uncertain"]


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _png_response(description: str) -> dict:
    return {"description": description,
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


# Ids are database keys (BigAutoField): any other number is simply not found (404).
_ID = {"name": "id", "in": "path", "required": True,
       "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}}
_NOT_FOUND = _error_response("No such reading (also for another user's reading)")
_UNAUTHORISED = _error_response("Missing or invalid API key")


def _image_route(summary: str, what: str) -> dict:
    return {"get": {"summary": summary, "parameters": [_ID],
                    "responses": {"200": _png_response(what), "401": _UNAUTHORISED, "404": _NOT_FOUND}}}


def schema(server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Chest X-ray screening API",
            # 2.0.0: `warnings` became objects {code, message} (was a list of strings), and
            # readings gained `uncertain`, `prediction_set` and `set_confidence`.
            "version": "2.0.0",
            "description": (
                "Screen frontal chest X-rays (PNG, JPEG, DICOM) for findings consistent with "
                "COVID-19 or pneumonia. A screening aid, not a diagnosis: a clinician and an "
                "RT-PCR test decide. Readings are private to the key's owner. Since 2.0.0 each "
                "warning is an object {code, message}."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"TokenAuth": []}],
        "paths": {
            "/readings/": {
                "get": {
                    "summary": "Your readings, newest first",
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "page_size", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                    ],
                    "responses": {
                        "200": {"description": "One page of readings", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ReadingPage"}}}},
                        "400": _error_response(
                            "page or page_size is empty, not a whole number, or out of range "
                            "(page_size over 100 is refused, not clamped); code bad_request, "
                            "and the message names the parameter"),
                        "401": _UNAUTHORISED,
                        "404": _error_response("No such page"),
                    },
                },
                "post": {
                    "summary": "Screen one X-ray and store the reading",
                    "requestBody": {"required": True, "content": {"multipart/form-data": {
                        "schema": {"type": "object", "required": ["image"], "properties": {
                            "image": {"type": "string", "format": "binary",
                                      "description": "PNG, JPEG or DICOM, at most MAX_UPLOAD_BYTES (64 MiB)"}}}}}},
                    "responses": {
                        "201": {"description": "The stored reading",
                                "headers": {"Location": {"schema": {"type": "string"}}},
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Reading"}}}},
                        "400": _error_response("No 'image' field, or a malformed body"),
                        "401": _UNAUTHORISED,
                        "413": _error_response("The file (or its pixel count) is too large"),
                        "415": _error_response("Not a PNG, JPEG or DICOM file"),
                        "422": _error_response("Corrupt or empty image, or not a chest X-ray "
                                      "(code not_a_chest_xray; nothing is stored)"),
                        "503": _error_response("No model is installed on the server"),
                    },
                },
            },
            "/readings/{id}/": {
                "get": {"summary": "One reading", "parameters": [_ID], "responses": {
                    "200": {"description": "The reading", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Reading"}}}},
                    "401": _UNAUTHORISED, "404": _NOT_FOUND}},
                "delete": {"summary": "Delete a reading and its images", "parameters": [_ID],
                           "responses": {"204": {"description": "Deleted"},
                                         "401": _UNAUTHORISED, "404": _NOT_FOUND}},
            },
            "/readings/{id}/image.png": _image_route("The X-ray as decoded (grayscale PNG)",
                                                     "Grayscale PNG, at most 1024 px, no metadata"),
            "/readings/{id}/thumbnail.png": _image_route("A small copy of the X-ray", "PNG, at most 256 px"),
            "/readings/{id}/heatmap.png": _image_route("The class activation map",
                                                       "Transparent RGBA PNG, the X-ray's aspect ratio, at most 256 px: stretch it over image.png"),
            "/readings/{id}/overlay.png": _image_route("The heat map laid over the X-ray", "RGB PNG"),
            "/readings/{id}/report.pdf": {"get": {
                "summary": "Printable report", "parameters": [_ID],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    "401": _UNAUTHORISED, "404": _NOT_FOUND}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3 JSON"}}}},
        },
        "components": {
            "securitySchemes": {"TokenAuth": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "'Token <key>'; create the key on the API key page. GET also "
                               "accepts a logged-in browser session."}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "example": "not_a_chest_xray"},
                        "message": {"type": "string"},
                        "advice": {"type": "array", "items": {"type": "string"}}}}}},
                "Reading": {"type": "object", "properties": {
                    "id": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "outcome": {"type": "string", "enum": OUTCOMES,
                                "description": "'uncertain' when the model is not confident"},
                    "headline": {"type": "string", "description": "The outcome in plain words"},
                    "label": {"type": "string", "nullable": True, "enum": OUTCOMES[:3] + [None]},
                    "probabilities": {"type": "object", "additionalProperties": {"type": "number"},
                                      "description": "Calibrated, per class, summing to 1"},
                    "low_confidence": {"type": "boolean"},
                    "ood_score": {"type": "number", "nullable": True},
                    "reason": {"type": "string", "nullable": True,
                               "description": "Why no label is given (uncertain readings)."},
                    "uncertain": {"type": "boolean",
                                  "description": "A chest X-ray that was read but gets no label: "
                                                 "a radiologist should read it (outcome 'uncertain')."},
                    "prediction_set": {
                        "type": "array", "nullable": True,
                        "items": {"type": "string", "enum": OUTCOMES[:3]},
                        "description": "The classes that cannot be ruled out at set_confidence, "
                                       "as measured on X-rays from hospitals the model never saw; "
                                       "null when the model has no such measurement (older models)."},
                    "set_confidence": {
                        "type": "number", "nullable": True, "minimum": 0, "maximum": 1,
                        "description": "How often such sets held the right class (e.g. 0.9), from "
                                       "the model card; null without a prediction set."},
                    "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"},
                                 "description": "Caveats about this reading (e.g. unfamiliar_image: "
                                                "the X-ray is unlike the training images)."},
                    "model_version": {"type": "string"},
                    "source_format": {"type": "string"},
                    "original_filename": {"type": "string"},
                    "width": {"type": "integer"},
                    "height": {"type": "integer"},
                    "disclaimer": {"type": "string"},
                    "patient_reference": {"type": "string", "description": "Doctors only"},
                    "note": {"type": "string", "description": "Doctors only"},
                    "links": {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}},
                }},
                "Warning": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "nullable": True, "example": "unfamiliar_image",
                             "description": "Stable code (null for warnings of old readings)"},
                    "message": {"type": "string", "description": "In the request's language"}}},
                "ReadingPage": {"type": "object", "properties": {
                    "count": {"type": "integer"}, "page": {"type": "integer"},
                    "pages": {"type": "integer"},
                    "next": {"type": "string", "nullable": True},
                    "previous": {"type": "string", "nullable": True},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Reading"}},
                }},
            },
        },
    }
