"""A small OpenFaaS-compatible FaaS for running functions as local processes.

The gateway speaks the OpenFaaS HTTP API (so faas-cli and OpenFaaS clients work unchanged) and runs each
deployed function as supervisord-managed processes of the python3-http template.
"""

__version__ = "0.1.0"
