"""The release: exo's version, the data release and the review it is built from.

Its own module, so the store can stamp its files with the version without
importing the package that sits above it. Standard library only.
"""

__version__ = "0.2.0"
DATA_RELEASE = "2026.12"
REVIEW_DOI = "10.3389/fphar.2020.590470"
REVIEW_KEY = "Wei2021"
