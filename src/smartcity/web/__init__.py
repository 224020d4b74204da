"""Web assembly: the app factory, page shell, templates and static assets."""
