"""Powertools Logger and Metrics, named after the service running them.

Tracing is Lambda's own (`Tracing: Active` in the template); Powertools' Tracer would add
the X-Ray SDK to every function for spans we do not use yet.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "seconde-vie")

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace="SecondeVie", service=SERVICE_NAME)
