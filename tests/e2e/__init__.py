"""End-to-end tests that run real Airflow components."""
