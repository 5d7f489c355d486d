"""Helpers Prefect 1 code imports from ``prefect.utilities``: logging, debugging, tasks, edges."""
