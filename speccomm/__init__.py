"""speccomm: a dimensional warehouse for NHS specialised commissioning delegated to ICBs."""

__version__ = "0.1.0"
