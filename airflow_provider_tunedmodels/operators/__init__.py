"""Airflow operators for Gemini API tuned models and their data."""
