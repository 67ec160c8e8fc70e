"""The WSGI entry point: webhooks through Django without the page middleware.

A webhook is a signed machine request: it has no session, cookie, CSRF token, user, message
or htmx header, and nothing in the page middleware applies to it. In an alert storm that
middleware is a tenth of the CPU a webhook costs, so `/hooks/` requests go to a handler with
none, and every other request to Django's usual one. Both resolve URLs and send Django's
request signals (which close obsolete database connections) as usual.
"""

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

HOOKS_PREFIX = "/hooks/"


class WebhookHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        # What BaseHandler.load_middleware leaves behind for an empty MIDDLEWARE setting.
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


class DeskApplication:
    def __init__(self) -> None:
        self.pages = WSGIHandler()
        self.hooks = WebhookHandler()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(HOOKS_PREFIX):
            return self.hooks(environ, start_response)
        return self.pages(environ, start_response)
