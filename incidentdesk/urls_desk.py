from django.urls import path

from incidentdesk.views import audit, policy, scorecard

app_name = "desk"
urlpatterns = [
    path("audit/", audit.desk, name="audit"),
    path("policy/", policy.detail, name="policy"),
    path("scorecard/", scorecard.desk, name="scorecard"),
    path("scorecard/team/<slug:name>/", scorecard.team, name="scorecard_team"),
    path("scorecard/service/<slug:name>/", scorecard.service, name="scorecard_service"),
]
