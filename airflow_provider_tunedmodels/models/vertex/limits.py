"""Documented limits of Vertex AI tuning jobs, shared by validation code.

Each number cites where it is documented (see the project's Vertex AI API notes).
"""

from __future__ import annotations

import re

#: ``tunedModelDisplayName``: "up to 128 characters long", any UTF-8 characters.
MAX_DISPLAY_NAME_LENGTH = 128
#: Labels per resource (Google Cloud labels documentation).
MAX_LABELS = 64
#: Label keys and values: "no longer than 64 characters (Unicode codepoints)" (TuningJob.labels).
MAX_LABEL_LENGTH = 64
#: Largest value of an int64 field such as ``epochCount``.
MAX_INT64 = 2**63 - 1
#: Largest value of an int32 field such as ``pageSize``.
MAX_INT32 = 2**31 - 1
#: Adapter sizes the tuning documentation lists for Gemini models (supervised and preference).
GEMINI_ADAPTER_SIZES = (1, 2, 4, 8, 16)
#: A Cloud Storage object: ``gs://{bucket}/{object}`` (bucket names are 3-222 characters of
#: lowercase letters, digits, dots, dashes and underscores, starting and ending alphanumeric).
GCS_OBJECT_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/[^\s]*[^\s/]")
#: A Cloud Storage folder (for outputs): ``gs://{bucket}`` optionally followed by a path.
GCS_PREFIX_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/\S*)?")
#: A Vertex AI multimodal dataset, accepted as a supervised tuning dataset.
VERTEX_DATASET_NAME = re.compile(r"projects/[^/\s]+/locations/[^/\s]+/datasets/[^/\s]+")
#: A Cloud KMS key for ``encryptionSpec.kmsKeyName``.
KMS_KEY_NAME = re.compile(r"projects/[^/\s]+/locations/[^/\s]+/keyRings/[^/\s]+/cryptoKeys/[^/\s]+")
