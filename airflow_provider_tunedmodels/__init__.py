"""Apache Airflow provider for tuning models through Google's tuning REST APIs.

Importing this package is cheap on purpose: DAG files import operators from it
constantly, so nothing here touches the network, Airflow's ORM or google-auth.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
