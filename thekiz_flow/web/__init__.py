"""The office's web pages: server-rendered German HTML on top of the service.

app.py        create_app(): routes, session cookie, security headers, error pages
state.py      what every request shares: settings, the service per user, the templates
endpoints.py  @page and @action: sign-in, role, CSRF and a worker thread for each handler
auth.py       sign-in and sign-out, the signed-in session and user, what a role may do
csrf.py       the per-session token every form carries
headers.py    Content-Security-Policy, no framing, no caching: on every answer
assets.py     the style sheet and the script (no inline ones)
render.py     templates with the layout's user, token, messages and navigation
errors.py     refused input (400), unknown things (404) and forbidden ones (403) as pages
pages/        one module per area: its routes and its entries in the navigation
"""

from thekiz_flow.web.app import create_app

__all__ = ["create_app"]
