"""Backend-agnostic core: HTTP, authentication, retries, errors and operation polling.

Nothing in here knows about a particular Google API. The Gemini API hook builds
on it today; a Vertex AI ``tuningJobs`` backend can reuse it unchanged.
"""
