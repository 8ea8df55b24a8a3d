"""Base models (``models/*``) that tuning starts from."""

from __future__ import annotations

from airflow_provider_tunedmodels.models._wire import WireModel

__all__ = ["ListModelsResponse", "Model"]


class Model(WireModel):
    """A base model as ``models.get`` describes it."""

    name: str | None = None
    base_model_id: str | None = None
    version: str | None = None
    display_name: str | None = None
    description: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] | None = None
    temperature: float | None = None
    max_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None

    @property
    def supports_tuning(self) -> bool:
        """Whether ``createTunedModel`` is among its supported methods."""
        return "createTunedModel" in (self.supported_generation_methods or [])


class ListModelsResponse(WireModel):
    """One page of ``models.list``."""

    models: list[Model] | None = None
    next_page_token: str | None = None

    def page_items(self) -> list[Model]:
        return list(self.models or [])
