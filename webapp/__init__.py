"""The Django project of the CXR screening web app: one Django app per concern."""
