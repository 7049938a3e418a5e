"""HTTP front doors: API Gateway REST and HTTP APIs, function URLs and ALB, answering plain
HTTP requests with the handler behind them (the event in, the HTTP response out, AWS's error
answers). One module per front door; :mod:`.dispatch` is the interception point for
``requests``/``urllib`` inside ``mock_aws()`` and for ``serve``."""

from .dispatch import KeepAlive, Middleware, install, route, uninstall
from .http import HttpRequest, HttpResponse

__all__ = ["HttpRequest", "HttpResponse", "KeepAlive", "Middleware", "install", "route",
           "uninstall"]
