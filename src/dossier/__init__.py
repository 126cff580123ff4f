"""dossier: a folder of YAML content and a theme of Jinja templates, typeset into a PDF briefing."""

__version__ = "0.1.0"
