"""The Gemini API wire models, limits and checks moved to ``models.gemini``; every former
import path still works."""

from __future__ import annotations

import importlib

import pytest

import airflow_provider_tunedmodels.models as models_package
from airflow_provider_tunedmodels.models import gemini

#: The modules the Gemini wire models lived in before ``models.gemini``, and their new homes.
FORMER_MODULES = {
    "airflow_provider_tunedmodels.models.model": "airflow_provider_tunedmodels.models.gemini.model",
    "airflow_provider_tunedmodels.models.operation": (
        "airflow_provider_tunedmodels.models.gemini.operation"
    ),
    "airflow_provider_tunedmodels.models.permission": (
        "airflow_provider_tunedmodels.models.gemini.permission"
    ),
    "airflow_provider_tunedmodels.models.tuned_model": (
        "airflow_provider_tunedmodels.models.gemini.tuned_model"
    ),
}
#: The Gemini API's limits and local checks, also at the root of ``models`` in 0.1.0.
FORMER_CHECK_MODULES = {
    "airflow_provider_tunedmodels.models.limits": "airflow_provider_tunedmodels.models.gemini.limits",
    "airflow_provider_tunedmodels.models.validation": (
        "airflow_provider_tunedmodels.models.gemini.validation"
    ),
}


@pytest.mark.parametrize(
    ("former", "current"), sorted({**FORMER_MODULES, **FORMER_CHECK_MODULES}.items())
)
def test_a_former_module_exports_the_same_objects(former: str, current: str) -> None:
    old = importlib.import_module(former)
    new = importlib.import_module(current)
    assert old.__all__ == new.__all__
    for name in new.__all__:
        assert getattr(old, name) is getattr(new, name), name


#: What ``airflow_provider_tunedmodels.models`` exported before the Gemini models moved.
MODELS_PACKAGE_NAMES = {
    "CREATE_TUNED_MODEL_METADATA_TYPE",
    "TUNED_MODEL_TYPE",
    "Candidate",
    "Content",
    "CreateTunedModelMetadata",
    "Dataset",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "GranteeType",
    "Hyperparameters",
    "ListModelsResponse",
    "ListOperationsResponse",
    "ListPermissionsResponse",
    "ListTunedModelsResponse",
    "Model",
    "Operation",
    "Part",
    "Permission",
    "PromptFeedback",
    "Role",
    "State",
    "Status",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
    "UsageMetadata",
}


def test_the_models_package_exports_what_it_did() -> None:
    from airflow_provider_tunedmodels.models import generation

    assert set(models_package.__all__) == MODELS_PACKAGE_NAMES
    for name in MODELS_PACKAGE_NAMES - set(gemini.__all__):
        assert getattr(models_package, name) is getattr(generation, name), name


def test_every_gemini_model_is_still_exported_by_the_models_package() -> None:
    assert set(gemini.__all__) <= set(models_package.__all__)
    for name in gemini.__all__:
        assert getattr(models_package, name) is getattr(gemini, name), name


def test_the_gemini_package_exports_exactly_its_modules_names() -> None:
    exported = set()
    for current in FORMER_MODULES.values():
        exported |= set(importlib.import_module(current).__all__)
    assert set(gemini.__all__) == exported


def test_the_classes_name_their_new_module() -> None:
    from airflow_provider_tunedmodels.models.tuned_model import TunedModel

    assert TunedModel.__module__ == "airflow_provider_tunedmodels.models.gemini.tuned_model"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = gemini.NoSuchModel
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = models_package.NoSuchModel


#: What 0.1.0's ``models.limits`` and ``models.validation`` offered.
NAMES_OF_0_1_0 = {
    "airflow_provider_tunedmodels.models.limits": {
        "DEFAULT_PAGE_SIZE",
        "MAX_DISPLAY_NAME_LENGTH",
        "MAX_EXAMPLE_INPUT_CHARS",
        "MAX_EXAMPLE_OUTPUT_CHARS",
        "MAX_PAGE_SIZE",
        "MAX_TEMPERATURE",
        "MIN_TEMPERATURE",
        "TUNED_MODEL_ID_PATTERN",
    },
    "airflow_provider_tunedmodels.models.validation": {
        "MUTABLE_TUNED_MODEL_FIELDS",
        "update_mask_for",
        "validate_new_permission",
        "validate_new_tuned_model",
        "validate_tuned_model_id",
        "validate_tuned_model_update",
    },
}


@pytest.mark.parametrize("module", sorted(NAMES_OF_0_1_0))
def test_a_former_check_module_still_offers_what_0_1_0_did(module: str) -> None:
    former = importlib.import_module(module)
    assert NAMES_OF_0_1_0[module] <= set(former.__all__)
    for name in NAMES_OF_0_1_0[module]:
        assert getattr(former, name) is not None, name
