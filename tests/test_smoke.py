from django.conf import settings


def test_settings_load_with_the_embedded_defaults():
    assert settings.ROOT_URLCONF == "incidentdesk.urls"
