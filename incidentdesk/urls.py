from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path, re_path

from incidentdesk.views import hooks


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("hooks/<slug:source>/", hooks.hook, name="hook"),
    # Anything else under hooks/ (a URL without its trailing slash, a mistyped source) reaches
    # the same view: taken if it names a source, else a 404 that says why, the attempt kept.
    # Webhooks skip the middleware that would redirect, and vendors do not follow redirects.
    re_path(r"^hooks/(?P<source>.*)$", hooks.hook),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("services/", include("incidentdesk.urls_services")),
    path("approvals/", include("approvals.urls")),
    path("", include("incidentdesk.urls_desk")),
    path("", include("incidentdesk.urls_runs")),
]
