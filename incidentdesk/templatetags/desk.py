"""Template helpers shared by the desk's pages."""

from django import template

from incidentdesk.selectors import teams_of

register = template.Library()


@register.simple_tag
def user_teams(user) -> list:
    """The signed-in user's teams, in one query (the header shows them on every page)."""
    return teams_of(user)
