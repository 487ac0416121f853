"""quotewire: who said what, from which country, in a continuous wire feed."""

__version__ = "0.1.0"
