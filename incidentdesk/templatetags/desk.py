"""Template helpers shared by the desk's pages."""

from django import template

from incidentdesk.audit_display import detail_label, detail_value
from incidentdesk.selectors import teams_of

register = template.Library()


@register.simple_tag
def user_teams(user) -> list:
    """The signed-in user's teams, in one query (the header shows them on every page)."""
    return teams_of(user)


register.filter("detail_label", detail_label)
register.filter("detail_value", detail_value)
