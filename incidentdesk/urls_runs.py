from django.urls import path

from incidentdesk.views import audit, postmortem, resolution, runs

app_name = "runs"
urlpatterns = [
    path("", runs.history, name="history"),
    path("runs/<int:pk>/", runs.detail, name="detail"),
    path("runs/<int:pk>/audit/", audit.run, name="audit"),
    path("runs/<int:pk>/cause/", resolution.confirm_cause, name="confirm_cause"),
    path("runs/<int:pk>/postmortem.md", postmortem.draft, name="postmortem"),
]
