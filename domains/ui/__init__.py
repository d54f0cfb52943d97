"""The web UI for tenant admins: server-rendered pages over the same service layer as the API.

Layout: views in ``domains/ui/views/`` (one module per area), forms in ``forms.py``, URLs in
``urls.py`` (namespace ``ui``), the tenant scoping and roles in ``access.py``; templates in
``domains/templates/ui/``, static files in ``domains/static/ui/`` (own stylesheet, small
script, htmx vendored under ``vendor/htmx/`` with its licence and checksum). Every page of a
tenant lives under ``/t/<slug>/``; views never set state themselves.
"""
